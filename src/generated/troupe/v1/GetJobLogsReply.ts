// Original file: proto/troupe/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface GetJobLogsReply {
  'data'?: (Buffer | Uint8Array | string);
  'nextOffset'?: (number | string | Long);
  'eof'?: (boolean);
  'state'?: (string);
}

export interface GetJobLogsReply__Output {
  'data': (Buffer);
  'nextOffset': (number);
  'eof': (boolean);
  'state': (string);
}
