// Original file: proto/troupe/v1/worker.proto


export interface WorkerKillActorReply {
}

export interface WorkerKillActorReply__Output {
}
