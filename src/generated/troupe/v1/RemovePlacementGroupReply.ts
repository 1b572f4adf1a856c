// Original file: proto/troupe/v1/placement_group.proto


export interface RemovePlacementGroupReply {
}

export interface RemovePlacementGroupReply__Output {
}
