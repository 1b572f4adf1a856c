// Original file: proto/troupe/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportJobReply {
  'logOffset'?: (number | string | Long);
  'stop'?: (boolean);
}

export interface ReportJobReply__Output {
  'logOffset': (number);
  'stop': (boolean);
}
