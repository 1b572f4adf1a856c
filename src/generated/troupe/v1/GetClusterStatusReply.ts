// Original file: proto/troupe/v1/actor.proto

import type { NodeInfo as _troupe_v1_NodeInfo, NodeInfo__Output as _troupe_v1_NodeInfo__Output } from '../../troupe/v1/NodeInfo.js';
import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from '../../troupe/v1/ActorInfo.js';
import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from '../../troupe/v1/PlacementGroupInfo.js';
import type { Long } from '@grpc/proto-loader';

export interface GetClusterStatusReply {
  'nodes'?: (_troupe_v1_NodeInfo)[];
  'actors'?: (_troupe_v1_ActorInfo)[];
  'pendingActors'?: (number);
  'headAddress'?: (string);
  'startedAtMs'?: (number | string | Long);
  'stateStore'?: (string);
  'placementGroups'?: (_troupe_v1_PlacementGroupInfo)[];
}

export interface GetClusterStatusReply__Output {
  'nodes': (_troupe_v1_NodeInfo__Output)[];
  'actors': (_troupe_v1_ActorInfo__Output)[];
  'pendingActors': (number);
  'headAddress': (string);
  'startedAtMs': (number);
  'stateStore': (string);
  'placementGroups': (_troupe_v1_PlacementGroupInfo__Output)[];
}
