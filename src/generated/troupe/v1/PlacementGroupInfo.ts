// Original file: proto/troupe/v1/common.proto

import type { BundleInfo as _troupe_v1_BundleInfo, BundleInfo__Output as _troupe_v1_BundleInfo__Output } from '../../troupe/v1/BundleInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface PlacementGroupInfo {
  'placementGroupId'?: (string);
  'name'?: (string);
  'namespace'?: (string);
  'strategy'?: (string);
  'state'?: (string);
  'bundles'?: (_troupe_v1_BundleInfo)[];
  'reason'?: (string);
  'ownerId'?: (string);
  'lifetime'?: (string);
  'createdAtMs'?: (number | string | Long);
}

export interface PlacementGroupInfo__Output {
  'placementGroupId': (string);
  'name': (string);
  'namespace': (string);
  'strategy': (string);
  'state': (string);
  'bundles': (_troupe_v1_BundleInfo__Output)[];
  'reason': (string);
  'ownerId': (string);
  'lifetime': (string);
  'createdAtMs': (number);
}
