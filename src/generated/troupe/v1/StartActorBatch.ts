// Original file: proto/troupe/v1/worker.proto

import type { StartActorItem as _troupe_v1_StartActorItem, StartActorItem__Output as _troupe_v1_StartActorItem__Output } from '../../troupe/v1/StartActorItem.js';

export interface StartActorBatch {
  'items'?: (_troupe_v1_StartActorItem)[];
}

export interface StartActorBatch__Output {
  'items': (_troupe_v1_StartActorItem__Output)[];
}
