// Original file: proto/troupe/v1/job.proto


export interface GetJobPackageRequest {
  'packageId'?: (string);
  'jobId'?: (string);
}

export interface GetJobPackageRequest__Output {
  'packageId': (string);
  'jobId': (string);
}
