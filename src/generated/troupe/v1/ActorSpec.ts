// Original file: proto/troupe/v1/common.proto

import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from '../../troupe/v1/ResourceMap.js';
import type { NodeAffinity as _troupe_v1_NodeAffinity, NodeAffinity__Output as _troupe_v1_NodeAffinity__Output } from '../../troupe/v1/NodeAffinity.js';

export interface ActorSpec {
  'module'?: (string);
  'exportName'?: (string);
  'args'?: (Buffer | Uint8Array | string);
  'resources'?: (_troupe_v1_ResourceMap | null);
  'name'?: (string);
  'namespace'?: (string);
  'maxConcurrency'?: (number);
  'isolation'?: (string);
  'schedulingStrategy'?: (string);
  'nodeAffinity'?: (_troupe_v1_NodeAffinity | null);
  'lifetime'?: (string);
  'maxRestarts'?: (number);
  'maxTaskRetries'?: (number);
  'env'?: ({[key: string]: string});
  'execArgv'?: (string)[];
  'placementGroupId'?: (string);
  'bundleIndex'?: (number);
  'jobId'?: (string);
}

export interface ActorSpec__Output {
  'module': (string);
  'exportName': (string);
  'args': (Buffer);
  'resources': (_troupe_v1_ResourceMap__Output | null);
  'name': (string);
  'namespace': (string);
  'maxConcurrency': (number);
  'isolation': (string);
  'schedulingStrategy': (string);
  'nodeAffinity': (_troupe_v1_NodeAffinity__Output | null);
  'lifetime': (string);
  'maxRestarts': (number);
  'maxTaskRetries': (number);
  'env': ({[key: string]: string});
  'execArgv': (string)[];
  'placementGroupId': (string);
  'bundleIndex': (number);
  'jobId': (string);
}
