// Original file: proto/troupe/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface ReportJobRequest {
  'jobId'?: (string);
  'supervisorId'?: (string);
  'state'?: (string);
  'message'?: (string);
  'exitCode'?: (number);
  'driverPid'?: (number);
  'logOffset'?: (number | string | Long);
  'logData'?: (Buffer | Uint8Array | string);
}

export interface ReportJobRequest__Output {
  'jobId': (string);
  'supervisorId': (string);
  'state': (string);
  'message': (string);
  'exitCode': (number);
  'driverPid': (number);
  'logOffset': (number);
  'logData': (Buffer);
}
