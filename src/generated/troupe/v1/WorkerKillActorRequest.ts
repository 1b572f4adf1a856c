// Original file: proto/troupe/v1/worker.proto


export interface WorkerKillActorRequest {
  'actorId'?: (string);
  'deathCause'?: (string);
}

export interface WorkerKillActorRequest__Output {
  'actorId': (string);
  'deathCause': (string);
}
