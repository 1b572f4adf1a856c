// Original file: proto/troupe/v1/actor.proto

import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from '../../troupe/v1/ActorInfo.js';

export interface CreateActorReply {
  'actor'?: (_troupe_v1_ActorInfo | null);
}

export interface CreateActorReply__Output {
  'actor': (_troupe_v1_ActorInfo__Output | null);
}
