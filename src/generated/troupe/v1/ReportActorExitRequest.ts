// Original file: proto/troupe/v1/node.proto


export interface ReportActorExitRequest {
  'nodeId'?: (string);
  'actorId'?: (string);
  'deathCause'?: (string);
}

export interface ReportActorExitRequest__Output {
  'nodeId': (string);
  'actorId': (string);
  'deathCause': (string);
}
