import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from './troupe/v1/ActorInfo.js';
import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from './troupe/v1/ActorSpec.js';
import type { BundleInfo as _troupe_v1_BundleInfo, BundleInfo__Output as _troupe_v1_BundleInfo__Output } from './troupe/v1/BundleInfo.js';
import type { CreatePlacementGroupRequest as _troupe_v1_CreatePlacementGroupRequest, CreatePlacementGroupRequest__Output as _troupe_v1_CreatePlacementGroupRequest__Output } from './troupe/v1/CreatePlacementGroupRequest.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from './troupe/v1/ErrorInfo.js';
import type { GetPlacementGroupRequest as _troupe_v1_GetPlacementGroupRequest, GetPlacementGroupRequest__Output as _troupe_v1_GetPlacementGroupRequest__Output } from './troupe/v1/GetPlacementGroupRequest.js';
import type { NodeAffinity as _troupe_v1_NodeAffinity, NodeAffinity__Output as _troupe_v1_NodeAffinity__Output } from './troupe/v1/NodeAffinity.js';
import type { NodeInfo as _troupe_v1_NodeInfo, NodeInfo__Output as _troupe_v1_NodeInfo__Output } from './troupe/v1/NodeInfo.js';
import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from './troupe/v1/PlacementGroupInfo.js';
import type { PlacementGroupOp as _troupe_v1_PlacementGroupOp, PlacementGroupOp__Output as _troupe_v1_PlacementGroupOp__Output } from './troupe/v1/PlacementGroupOp.js';
import type { PlacementGroupOpBatch as _troupe_v1_PlacementGroupOpBatch, PlacementGroupOpBatch__Output as _troupe_v1_PlacementGroupOpBatch__Output } from './troupe/v1/PlacementGroupOpBatch.js';
import type { PlacementGroupOpItem as _troupe_v1_PlacementGroupOpItem, PlacementGroupOpItem__Output as _troupe_v1_PlacementGroupOpItem__Output } from './troupe/v1/PlacementGroupOpItem.js';
import type { PlacementGroupOpOutcome as _troupe_v1_PlacementGroupOpOutcome, PlacementGroupOpOutcome__Output as _troupe_v1_PlacementGroupOpOutcome__Output } from './troupe/v1/PlacementGroupOpOutcome.js';
import type { PlacementGroupOpOutcomeBatch as _troupe_v1_PlacementGroupOpOutcomeBatch, PlacementGroupOpOutcomeBatch__Output as _troupe_v1_PlacementGroupOpOutcomeBatch__Output } from './troupe/v1/PlacementGroupOpOutcomeBatch.js';
import type { PlacementGroupReply as _troupe_v1_PlacementGroupReply, PlacementGroupReply__Output as _troupe_v1_PlacementGroupReply__Output } from './troupe/v1/PlacementGroupReply.js';
import type { PlacementGroupServiceClient as _troupe_v1_PlacementGroupServiceClient, PlacementGroupServiceDefinition as _troupe_v1_PlacementGroupServiceDefinition } from './troupe/v1/PlacementGroupService.js';
import type { RemovePlacementGroupReply as _troupe_v1_RemovePlacementGroupReply, RemovePlacementGroupReply__Output as _troupe_v1_RemovePlacementGroupReply__Output } from './troupe/v1/RemovePlacementGroupReply.js';
import type { RemovePlacementGroupRequest as _troupe_v1_RemovePlacementGroupRequest, RemovePlacementGroupRequest__Output as _troupe_v1_RemovePlacementGroupRequest__Output } from './troupe/v1/RemovePlacementGroupRequest.js';
import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from './troupe/v1/ResourceMap.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  troupe: {
    v1: {
      ActorInfo: MessageTypeDefinition<_troupe_v1_ActorInfo, _troupe_v1_ActorInfo__Output>
      ActorSpec: MessageTypeDefinition<_troupe_v1_ActorSpec, _troupe_v1_ActorSpec__Output>
      BundleInfo: MessageTypeDefinition<_troupe_v1_BundleInfo, _troupe_v1_BundleInfo__Output>
      CreatePlacementGroupRequest: MessageTypeDefinition<_troupe_v1_CreatePlacementGroupRequest, _troupe_v1_CreatePlacementGroupRequest__Output>
      ErrorInfo: MessageTypeDefinition<_troupe_v1_ErrorInfo, _troupe_v1_ErrorInfo__Output>
      GetPlacementGroupRequest: MessageTypeDefinition<_troupe_v1_GetPlacementGroupRequest, _troupe_v1_GetPlacementGroupRequest__Output>
      NodeAffinity: MessageTypeDefinition<_troupe_v1_NodeAffinity, _troupe_v1_NodeAffinity__Output>
      NodeInfo: MessageTypeDefinition<_troupe_v1_NodeInfo, _troupe_v1_NodeInfo__Output>
      PlacementGroupInfo: MessageTypeDefinition<_troupe_v1_PlacementGroupInfo, _troupe_v1_PlacementGroupInfo__Output>
      PlacementGroupOp: MessageTypeDefinition<_troupe_v1_PlacementGroupOp, _troupe_v1_PlacementGroupOp__Output>
      PlacementGroupOpBatch: MessageTypeDefinition<_troupe_v1_PlacementGroupOpBatch, _troupe_v1_PlacementGroupOpBatch__Output>
      PlacementGroupOpItem: MessageTypeDefinition<_troupe_v1_PlacementGroupOpItem, _troupe_v1_PlacementGroupOpItem__Output>
      PlacementGroupOpOutcome: MessageTypeDefinition<_troupe_v1_PlacementGroupOpOutcome, _troupe_v1_PlacementGroupOpOutcome__Output>
      PlacementGroupOpOutcomeBatch: MessageTypeDefinition<_troupe_v1_PlacementGroupOpOutcomeBatch, _troupe_v1_PlacementGroupOpOutcomeBatch__Output>
      PlacementGroupReply: MessageTypeDefinition<_troupe_v1_PlacementGroupReply, _troupe_v1_PlacementGroupReply__Output>
      PlacementGroupService: SubtypeConstructor<typeof grpc.Client, _troupe_v1_PlacementGroupServiceClient> & { service: _troupe_v1_PlacementGroupServiceDefinition }
      RemovePlacementGroupReply: MessageTypeDefinition<_troupe_v1_RemovePlacementGroupReply, _troupe_v1_RemovePlacementGroupReply__Output>
      RemovePlacementGroupRequest: MessageTypeDefinition<_troupe_v1_RemovePlacementGroupRequest, _troupe_v1_RemovePlacementGroupRequest__Output>
      ResourceMap: MessageTypeDefinition<_troupe_v1_ResourceMap, _troupe_v1_ResourceMap__Output>
    }
  }
}

