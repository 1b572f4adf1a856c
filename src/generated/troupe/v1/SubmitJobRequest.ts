// Original file: proto/troupe/v1/job.proto


export interface SubmitJobRequest {
  'entrypoint'?: (string)[];
  'packageId'?: (string);
  'env'?: ({[key: string]: string});
  'numCpus'?: (number | string);
  'jobId'?: (string);
  'metadata'?: ({[key: string]: string});
}

export interface SubmitJobRequest__Output {
  'entrypoint': (string)[];
  'packageId': (string);
  'env': ({[key: string]: string});
  'numCpus': (number);
  'jobId': (string);
  'metadata': ({[key: string]: string});
}
