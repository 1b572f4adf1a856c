// Original file: proto/troupe/v1/actor.proto

import type { CreateActorRequest as _troupe_v1_CreateActorRequest, CreateActorRequest__Output as _troupe_v1_CreateActorRequest__Output } from '../../troupe/v1/CreateActorRequest.js';
import type { Long } from '@grpc/proto-loader';

export interface CreateActorItem {
  'id'?: (number | string | Long);
  'request'?: (_troupe_v1_CreateActorRequest | null);
}

export interface CreateActorItem__Output {
  'id': (number);
  'request': (_troupe_v1_CreateActorRequest__Output | null);
}
