// Original file: proto/troupe/v1/node.proto


export interface HeartbeatReply {
  'known'?: (boolean);
  'liveActors'?: (number);
}

export interface HeartbeatReply__Output {
  'known': (boolean);
  'liveActors': (number);
}
