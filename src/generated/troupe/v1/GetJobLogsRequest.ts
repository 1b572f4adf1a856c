// Original file: proto/troupe/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface GetJobLogsRequest {
  'jobId'?: (string);
  'offset'?: (number | string | Long);
  'waitMs'?: (number);
  'maxBytes'?: (number);
}

export interface GetJobLogsRequest__Output {
  'jobId': (string);
  'offset': (number);
  'waitMs': (number);
  'maxBytes': (number);
}
