// Original file: proto/troupe/v1/driver.proto


export interface DriverMessage {
  'ownerId'?: (string);
}

export interface DriverMessage__Output {
  'ownerId': (string);
}
