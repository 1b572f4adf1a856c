// Original file: proto/troupe/v1/placement_group.proto

import type { PlacementGroupOpOutcome as _troupe_v1_PlacementGroupOpOutcome, PlacementGroupOpOutcome__Output as _troupe_v1_PlacementGroupOpOutcome__Output } from '../../troupe/v1/PlacementGroupOpOutcome.js';

export interface PlacementGroupOpOutcomeBatch {
  'outcomes'?: (_troupe_v1_PlacementGroupOpOutcome)[];
}

export interface PlacementGroupOpOutcomeBatch__Output {
  'outcomes': (_troupe_v1_PlacementGroupOpOutcome__Output)[];
}
