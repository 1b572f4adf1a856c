// Original file: proto/troupe/v1/actor_host.proto

import type { Long } from '@grpc/proto-loader';

export interface ObjectLocation {
  'objectId'?: (string);
  'address'?: (string);
  'size'?: (number | string | Long);
}

export interface ObjectLocation__Output {
  'objectId': (string);
  'address': (string);
  'size': (number);
}
