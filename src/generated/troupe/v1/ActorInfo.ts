// Original file: proto/troupe/v1/common.proto

import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from '../../troupe/v1/ResourceMap.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from '../../troupe/v1/ErrorInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface ActorInfo {
  'actorId'?: (string);
  'className'?: (string);
  'name'?: (string);
  'namespace'?: (string);
  'state'?: (string);
  'nodeId'?: (string);
  'address'?: (string);
  'pid'?: (number);
  'resources'?: (_troupe_v1_ResourceMap | null);
  'gpuIds'?: (number)[];
  'deathCause'?: (string);
  'deathError'?: (_troupe_v1_ErrorInfo | null);
  'isolation'?: (string);
  'createdAtMs'?: (number | string | Long);
  'maxRestarts'?: (number);
  'maxTaskRetries'?: (number);
  'numRestarts'?: (number);
  'ownerId'?: (string);
  'lifetime'?: (string);
  'placementGroupId'?: (string);
  'bundleIndex'?: (number);
}

export interface ActorInfo__Output {
  'actorId': (string);
  'className': (string);
  'name': (string);
  'namespace': (string);
  'state': (string);
  'nodeId': (string);
  'address': (string);
  'pid': (number);
  'resources': (_troupe_v1_ResourceMap__Output | null);
  'gpuIds': (number)[];
  'deathCause': (string);
  'deathError': (_troupe_v1_ErrorInfo__Output | null);
  'isolation': (string);
  'createdAtMs': (number);
  'maxRestarts': (number);
  'maxTaskRetries': (number);
  'numRestarts': (number);
  'ownerId': (string);
  'lifetime': (string);
  'placementGroupId': (string);
  'bundleIndex': (number);
}
