// Original file: proto/troupe/v1/worker.proto


export interface WorkerKillActorRequest {
  'actorId'?: (string);
}

export interface WorkerKillActorRequest__Output {
  'actorId': (string);
}
