// Original file: proto/troupe/v1/actor.proto


export interface GetActorRequest {
  'actorId'?: (string);
  'name'?: (string);
  'namespace'?: (string);
  'waitForDeathMs'?: (number);
  'waitForRestartMs'?: (number);
  'knownNumRestarts'?: (number);
}

export interface GetActorRequest__Output {
  'actorId': (string);
  'name': (string);
  'namespace': (string);
  'waitForDeathMs': (number);
  'waitForRestartMs': (number);
  'knownNumRestarts': (number);
}
