// Original file: proto/troupe/v1/worker.proto

import type { StartActorReply as _troupe_v1_StartActorReply, StartActorReply__Output as _troupe_v1_StartActorReply__Output } from '../../troupe/v1/StartActorReply.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from '../../troupe/v1/ErrorInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface StartActorOutcome {
  'id'?: (number | string | Long);
  'reply'?: (_troupe_v1_StartActorReply | null);
  'error'?: (_troupe_v1_ErrorInfo | null);
  'outcome'?: "reply"|"error";
}

export interface StartActorOutcome__Output {
  'id': (number);
  'reply'?: (_troupe_v1_StartActorReply__Output | null);
  'error'?: (_troupe_v1_ErrorInfo__Output | null);
  'outcome'?: "reply"|"error";
}
