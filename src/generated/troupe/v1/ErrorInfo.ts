// Original file: proto/troupe/v1/common.proto

import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from '../../troupe/v1/ErrorInfo.js';

export interface ErrorInfo {
  'code'?: (string);
  'message'?: (string);
  'remoteStack'?: (string);
  'context'?: ({[key: string]: string});
  'cause'?: (_troupe_v1_ErrorInfo | null);
}

export interface ErrorInfo__Output {
  'code': (string);
  'message': (string);
  'remoteStack': (string);
  'context': ({[key: string]: string});
  'cause': (_troupe_v1_ErrorInfo__Output | null);
}
