// Original file: proto/troupe/v1/placement_group.proto

import type { PlacementGroupReply as _troupe_v1_PlacementGroupReply, PlacementGroupReply__Output as _troupe_v1_PlacementGroupReply__Output } from '../../troupe/v1/PlacementGroupReply.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from '../../troupe/v1/ErrorInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface PlacementGroupOpOutcome {
  'id'?: (number | string | Long);
  'reply'?: (_troupe_v1_PlacementGroupReply | null);
  'error'?: (_troupe_v1_ErrorInfo | null);
  'outcome'?: "reply"|"error";
}

export interface PlacementGroupOpOutcome__Output {
  'id': (number);
  'reply'?: (_troupe_v1_PlacementGroupReply__Output | null);
  'error'?: (_troupe_v1_ErrorInfo__Output | null);
  'outcome'?: "reply"|"error";
}
