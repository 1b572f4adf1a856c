// Original file: proto/troupe/v1/node.proto


export interface ReportActorExitReply {
}

export interface ReportActorExitReply__Output {
}
