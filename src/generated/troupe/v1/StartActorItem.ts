// Original file: proto/troupe/v1/worker.proto

import type { StartActorRequest as _troupe_v1_StartActorRequest, StartActorRequest__Output as _troupe_v1_StartActorRequest__Output } from '../../troupe/v1/StartActorRequest.js';
import type { Long } from '@grpc/proto-loader';

export interface StartActorItem {
  'id'?: (number | string | Long);
  'request'?: (_troupe_v1_StartActorRequest | null);
}

export interface StartActorItem__Output {
  'id': (number);
  'request': (_troupe_v1_StartActorRequest__Output | null);
}
