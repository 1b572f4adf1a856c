// Original file: proto/troupe/v1/job.proto


export interface GetJobRequest {
  'jobId'?: (string);
  'waitMs'?: (number);
}

export interface GetJobRequest__Output {
  'jobId': (string);
  'waitMs': (number);
}
