// Original file: proto/troupe/v1/actor.proto

import type { CreateActorReply as _troupe_v1_CreateActorReply, CreateActorReply__Output as _troupe_v1_CreateActorReply__Output } from '../../troupe/v1/CreateActorReply.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from '../../troupe/v1/ErrorInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface CreateActorOutcome {
  'id'?: (number | string | Long);
  'reply'?: (_troupe_v1_CreateActorReply | null);
  'error'?: (_troupe_v1_ErrorInfo | null);
  'outcome'?: "reply"|"error";
}

export interface CreateActorOutcome__Output {
  'id': (number);
  'reply'?: (_troupe_v1_CreateActorReply__Output | null);
  'error'?: (_troupe_v1_ErrorInfo__Output | null);
  'outcome'?: "reply"|"error";
}
