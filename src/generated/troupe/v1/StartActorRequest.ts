// Original file: proto/troupe/v1/worker.proto

import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from '../../troupe/v1/ActorSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface StartActorRequest {
  'actorId'?: (string);
  'spec'?: (_troupe_v1_ActorSpec | null);
  'gpuIds'?: (number)[];
  'incarnation'?: (number | string | Long);
  'numRestarts'?: (number);
}

export interface StartActorRequest__Output {
  'actorId': (string);
  'spec': (_troupe_v1_ActorSpec__Output | null);
  'gpuIds': (number)[];
  'incarnation': (number);
  'numRestarts': (number);
}
