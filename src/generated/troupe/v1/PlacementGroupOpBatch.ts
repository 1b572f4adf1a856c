// Original file: proto/troupe/v1/placement_group.proto

import type { PlacementGroupOpItem as _troupe_v1_PlacementGroupOpItem, PlacementGroupOpItem__Output as _troupe_v1_PlacementGroupOpItem__Output } from '../../troupe/v1/PlacementGroupOpItem.js';

export interface PlacementGroupOpBatch {
  'items'?: (_troupe_v1_PlacementGroupOpItem)[];
}

export interface PlacementGroupOpBatch__Output {
  'items': (_troupe_v1_PlacementGroupOpItem__Output)[];
}
