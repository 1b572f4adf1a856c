// Original file: proto/troupe/v1/node.proto


export interface RunningActor {
  'actorId'?: (string);
  'address'?: (string);
  'pid'?: (number);
}

export interface RunningActor__Output {
  'actorId': (string);
  'address': (string);
  'pid': (number);
}
