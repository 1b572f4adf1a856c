// Original file: proto/troupe/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface RegisterNodeReply {
  'nodeId'?: (string);
  'incarnation'?: (number | string | Long);
  'heartbeatPeriodMs'?: (number);
  'fenced'?: (boolean);
  'fencedReason'?: (string);
  'staleActorIds'?: (string)[];
  'allowExecArgv'?: (boolean);
}

export interface RegisterNodeReply__Output {
  'nodeId': (string);
  'incarnation': (number);
  'heartbeatPeriodMs': (number);
  'fenced': (boolean);
  'fencedReason': (string);
  'staleActorIds': (string)[];
  'allowExecArgv': (boolean);
}
