// Original file: proto/troupe/v1/node.proto

import type { Long } from '@grpc/proto-loader';

export interface HeartbeatRequest {
  'nodeId'?: (string);
  'incarnation'?: (number | string | Long);
}

export interface HeartbeatRequest__Output {
  'nodeId': (string);
  'incarnation': (number);
}
