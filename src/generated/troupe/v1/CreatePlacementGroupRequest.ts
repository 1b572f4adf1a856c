// Original file: proto/troupe/v1/placement_group.proto

import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from '../../troupe/v1/ResourceMap.js';

export interface CreatePlacementGroupRequest {
  'bundles'?: (_troupe_v1_ResourceMap)[];
  'strategy'?: (string);
  'name'?: (string);
  'namespace'?: (string);
  'lifetime'?: (string);
  'ownerId'?: (string);
}

export interface CreatePlacementGroupRequest__Output {
  'bundles': (_troupe_v1_ResourceMap__Output)[];
  'strategy': (string);
  'name': (string);
  'namespace': (string);
  'lifetime': (string);
  'ownerId': (string);
}
