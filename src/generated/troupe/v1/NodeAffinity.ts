// Original file: proto/troupe/v1/common.proto


export interface NodeAffinity {
  'nodeId'?: (string);
  'soft'?: (boolean);
}

export interface NodeAffinity__Output {
  'nodeId': (string);
  'soft': (boolean);
}
