// Original file: proto/troupe/v1/common.proto

import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from '../../troupe/v1/ResourceMap.js';
import type { Long } from '@grpc/proto-loader';

export interface NodeInfo {
  'nodeId'?: (string);
  'address'?: (string);
  'hostname'?: (string);
  'state'?: (string);
  'total'?: (_troupe_v1_ResourceMap | null);
  'available'?: (_troupe_v1_ResourceMap | null);
  'labels'?: ({[key: string]: string});
  'lastHeartbeatMs'?: (number | string | Long);
  'numActors'?: (number);
  'deathReason'?: (string);
  'incarnation'?: (number | string | Long);
  'awaitingWorker'?: (boolean);
}

export interface NodeInfo__Output {
  'nodeId': (string);
  'address': (string);
  'hostname': (string);
  'state': (string);
  'total': (_troupe_v1_ResourceMap__Output | null);
  'available': (_troupe_v1_ResourceMap__Output | null);
  'labels': ({[key: string]: string});
  'lastHeartbeatMs': (number);
  'numActors': (number);
  'deathReason': (string);
  'incarnation': (number);
  'awaitingWorker': (boolean);
}
