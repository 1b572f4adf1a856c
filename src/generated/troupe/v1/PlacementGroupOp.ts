// Original file: proto/troupe/v1/placement_group.proto

import type { CreatePlacementGroupRequest as _troupe_v1_CreatePlacementGroupRequest, CreatePlacementGroupRequest__Output as _troupe_v1_CreatePlacementGroupRequest__Output } from '../../troupe/v1/CreatePlacementGroupRequest.js';
import type { GetPlacementGroupRequest as _troupe_v1_GetPlacementGroupRequest, GetPlacementGroupRequest__Output as _troupe_v1_GetPlacementGroupRequest__Output } from '../../troupe/v1/GetPlacementGroupRequest.js';
import type { RemovePlacementGroupRequest as _troupe_v1_RemovePlacementGroupRequest, RemovePlacementGroupRequest__Output as _troupe_v1_RemovePlacementGroupRequest__Output } from '../../troupe/v1/RemovePlacementGroupRequest.js';

export interface PlacementGroupOp {
  'create'?: (_troupe_v1_CreatePlacementGroupRequest | null);
  'get'?: (_troupe_v1_GetPlacementGroupRequest | null);
  'remove'?: (_troupe_v1_RemovePlacementGroupRequest | null);
  'op'?: "create"|"get"|"remove";
}

export interface PlacementGroupOp__Output {
  'create'?: (_troupe_v1_CreatePlacementGroupRequest__Output | null);
  'get'?: (_troupe_v1_GetPlacementGroupRequest__Output | null);
  'remove'?: (_troupe_v1_RemovePlacementGroupRequest__Output | null);
  'op'?: "create"|"get"|"remove";
}
