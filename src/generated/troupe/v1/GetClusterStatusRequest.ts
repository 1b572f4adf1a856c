// Original file: proto/troupe/v1/actor.proto


export interface GetClusterStatusRequest {
}

export interface GetClusterStatusRequest__Output {
}
