// Original file: proto/troupe/v1/actor.proto

import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from '../../troupe/v1/ActorSpec.js';

export interface CreateActorRequest {
  'spec'?: (_troupe_v1_ActorSpec | null);
  'ownerId'?: (string);
}

export interface CreateActorRequest__Output {
  'spec': (_troupe_v1_ActorSpec__Output | null);
  'ownerId': (string);
}
