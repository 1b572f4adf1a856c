// Original file: proto/troupe/v1/actor.proto


export interface KillActorReply {
}

export interface KillActorReply__Output {
}
