// Original file: proto/troupe/v1/node.proto

import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from '../../troupe/v1/ResourceMap.js';
import type { RunningActor as _troupe_v1_RunningActor, RunningActor__Output as _troupe_v1_RunningActor__Output } from '../../troupe/v1/RunningActor.js';
import type { Long } from '@grpc/proto-loader';

export interface RegisterNodeRequest {
  'address'?: (string);
  'hostname'?: (string);
  'resources'?: (_troupe_v1_ResourceMap | null);
  'labels'?: ({[key: string]: string});
  'numGpuDevices'?: (number);
  'nodeId'?: (string);
  'incarnation'?: (number | string | Long);
  'actorIds'?: (string)[];
  'running'?: (_troupe_v1_RunningActor)[];
}

export interface RegisterNodeRequest__Output {
  'address': (string);
  'hostname': (string);
  'resources': (_troupe_v1_ResourceMap__Output | null);
  'labels': ({[key: string]: string});
  'numGpuDevices': (number);
  'nodeId': (string);
  'incarnation': (number);
  'actorIds': (string)[];
  'running': (_troupe_v1_RunningActor__Output)[];
}
