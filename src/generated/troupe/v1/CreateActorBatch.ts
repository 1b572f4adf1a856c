// Original file: proto/troupe/v1/actor.proto

import type { CreateActorItem as _troupe_v1_CreateActorItem, CreateActorItem__Output as _troupe_v1_CreateActorItem__Output } from '../../troupe/v1/CreateActorItem.js';

export interface CreateActorBatch {
  'items'?: (_troupe_v1_CreateActorItem)[];
}

export interface CreateActorBatch__Output {
  'items': (_troupe_v1_CreateActorItem__Output)[];
}
