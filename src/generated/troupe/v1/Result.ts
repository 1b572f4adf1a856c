// Original file: proto/troupe/v1/actor_host.proto

import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from '../../troupe/v1/ErrorInfo.js';
import type { ObjectLocation as _troupe_v1_ObjectLocation, ObjectLocation__Output as _troupe_v1_ObjectLocation__Output } from '../../troupe/v1/ObjectLocation.js';
import type { Long } from '@grpc/proto-loader';

export interface Result {
  'seq'?: (number | string | Long);
  'value'?: (Buffer | Uint8Array | string);
  'error'?: (_troupe_v1_ErrorInfo | null);
  'stored'?: (_troupe_v1_ObjectLocation | null);
  'outcome'?: "value"|"error"|"stored";
}

export interface Result__Output {
  'seq': (number);
  'value'?: (Buffer);
  'error'?: (_troupe_v1_ErrorInfo__Output | null);
  'stored'?: (_troupe_v1_ObjectLocation__Output | null);
  'outcome'?: "value"|"error"|"stored";
}
