// Original file: proto/troupe/v1/placement_group.proto


export interface GetPlacementGroupRequest {
  'placementGroupId'?: (string);
  'name'?: (string);
  'namespace'?: (string);
  'waitReadyMs'?: (number);
}

export interface GetPlacementGroupRequest__Output {
  'placementGroupId': (string);
  'name': (string);
  'namespace': (string);
  'waitReadyMs': (number);
}
