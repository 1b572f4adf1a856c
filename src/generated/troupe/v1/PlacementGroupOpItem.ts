// Original file: proto/troupe/v1/placement_group.proto

import type { PlacementGroupOp as _troupe_v1_PlacementGroupOp, PlacementGroupOp__Output as _troupe_v1_PlacementGroupOp__Output } from '../../troupe/v1/PlacementGroupOp.js';
import type { Long } from '@grpc/proto-loader';

export interface PlacementGroupOpItem {
  'id'?: (number | string | Long);
  'request'?: (_troupe_v1_PlacementGroupOp | null);
}

export interface PlacementGroupOpItem__Output {
  'id': (number);
  'request': (_troupe_v1_PlacementGroupOp__Output | null);
}
