// Original file: proto/troupe/v1/driver.proto


export interface HeadMessage {
}

export interface HeadMessage__Output {
}
