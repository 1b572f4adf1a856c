// Original file: proto/troupe/v1/common.proto


export interface ResourceMap {
  'amounts'?: ({[key: string]: number | string});
}

export interface ResourceMap__Output {
  'amounts': ({[key: string]: number});
}
