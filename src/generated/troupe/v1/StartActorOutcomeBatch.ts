// Original file: proto/troupe/v1/worker.proto

import type { StartActorOutcome as _troupe_v1_StartActorOutcome, StartActorOutcome__Output as _troupe_v1_StartActorOutcome__Output } from '../../troupe/v1/StartActorOutcome.js';

export interface StartActorOutcomeBatch {
  'outcomes'?: (_troupe_v1_StartActorOutcome)[];
}

export interface StartActorOutcomeBatch__Output {
  'outcomes': (_troupe_v1_StartActorOutcome__Output)[];
}
