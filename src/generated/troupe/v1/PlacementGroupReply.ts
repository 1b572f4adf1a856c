// Original file: proto/troupe/v1/placement_group.proto

import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from '../../troupe/v1/PlacementGroupInfo.js';

export interface PlacementGroupReply {
  'group'?: (_troupe_v1_PlacementGroupInfo | null);
}

export interface PlacementGroupReply__Output {
  'group': (_troupe_v1_PlacementGroupInfo__Output | null);
}
