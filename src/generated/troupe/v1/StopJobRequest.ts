// Original file: proto/troupe/v1/job.proto


export interface StopJobRequest {
  'jobId'?: (string);
}

export interface StopJobRequest__Output {
  'jobId': (string);
}
