// Original file: proto/troupe/v1/actor_host.proto

import type { ObjectLocation as _troupe_v1_ObjectLocation, ObjectLocation__Output as _troupe_v1_ObjectLocation__Output } from '../../troupe/v1/ObjectLocation.js';
import type { Long } from '@grpc/proto-loader';

export interface Call {
  'seq'?: (number | string | Long);
  'actorId'?: (string);
  'method'?: (string);
  'args'?: (Buffer | Uint8Array | string);
  'argsObject'?: (_troupe_v1_ObjectLocation | null);
  'storeAs'?: (string);
}

export interface Call__Output {
  'seq': (number);
  'actorId': (string);
  'method': (string);
  'args': (Buffer);
  'argsObject': (_troupe_v1_ObjectLocation__Output | null);
  'storeAs': (string);
}
