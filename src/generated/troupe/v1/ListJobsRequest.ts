// Original file: proto/troupe/v1/job.proto


export interface ListJobsRequest {
}

export interface ListJobsRequest__Output {
}
