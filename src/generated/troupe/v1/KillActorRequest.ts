// Original file: proto/troupe/v1/actor.proto


export interface KillActorRequest {
  'actorId'?: (string);
}

export interface KillActorRequest__Output {
  'actorId': (string);
}
