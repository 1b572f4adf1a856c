// Original file: proto/troupe/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface JobInfo {
  'jobId'?: (string);
  'state'?: (string);
  'entrypoint'?: (string)[];
  'message'?: (string);
  'exitCode'?: (number);
  'nodeId'?: (string);
  'createdAtMs'?: (number | string | Long);
  'startedAtMs'?: (number | string | Long);
  'endedAtMs'?: (number | string | Long);
  'numCpus'?: (number | string);
  'packageId'?: (string);
  'packageBytes'?: (number | string | Long);
  'logBytes'?: (number | string | Long);
  'metadata'?: ({[key: string]: string});
  'driverPid'?: (number);
}

export interface JobInfo__Output {
  'jobId': (string);
  'state': (string);
  'entrypoint': (string)[];
  'message': (string);
  'exitCode': (number);
  'nodeId': (string);
  'createdAtMs': (number);
  'startedAtMs': (number);
  'endedAtMs': (number);
  'numCpus': (number);
  'packageId': (string);
  'packageBytes': (number);
  'logBytes': (number);
  'metadata': ({[key: string]: string});
  'driverPid': (number);
}
