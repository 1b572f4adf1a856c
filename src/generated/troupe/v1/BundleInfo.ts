// Original file: proto/troupe/v1/common.proto

import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from '../../troupe/v1/ResourceMap.js';

export interface BundleInfo {
  'resources'?: (_troupe_v1_ResourceMap | null);
  'nodeId'?: (string);
}

export interface BundleInfo__Output {
  'resources': (_troupe_v1_ResourceMap__Output | null);
  'nodeId': (string);
}
