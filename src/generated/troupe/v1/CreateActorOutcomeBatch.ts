// Original file: proto/troupe/v1/actor.proto

import type { CreateActorOutcome as _troupe_v1_CreateActorOutcome, CreateActorOutcome__Output as _troupe_v1_CreateActorOutcome__Output } from '../../troupe/v1/CreateActorOutcome.js';

export interface CreateActorOutcomeBatch {
  'outcomes'?: (_troupe_v1_CreateActorOutcome)[];
}

export interface CreateActorOutcomeBatch__Output {
  'outcomes': (_troupe_v1_CreateActorOutcome__Output)[];
}
