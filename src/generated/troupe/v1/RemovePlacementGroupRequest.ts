// Original file: proto/troupe/v1/placement_group.proto


export interface RemovePlacementGroupRequest {
  'placementGroupId'?: (string);
}

export interface RemovePlacementGroupRequest__Output {
  'placementGroupId': (string);
}
