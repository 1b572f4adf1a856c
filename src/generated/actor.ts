import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from './troupe/v1/ActorInfo.js';
import type { ActorServiceClient as _troupe_v1_ActorServiceClient, ActorServiceDefinition as _troupe_v1_ActorServiceDefinition } from './troupe/v1/ActorService.js';
import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from './troupe/v1/ActorSpec.js';
import type { BundleInfo as _troupe_v1_BundleInfo, BundleInfo__Output as _troupe_v1_BundleInfo__Output } from './troupe/v1/BundleInfo.js';
import type { CreateActorBatch as _troupe_v1_CreateActorBatch, CreateActorBatch__Output as _troupe_v1_CreateActorBatch__Output } from './troupe/v1/CreateActorBatch.js';
import type { CreateActorItem as _troupe_v1_CreateActorItem, CreateActorItem__Output as _troupe_v1_CreateActorItem__Output } from './troupe/v1/CreateActorItem.js';
import type { CreateActorOutcome as _troupe_v1_CreateActorOutcome, CreateActorOutcome__Output as _troupe_v1_CreateActorOutcome__Output } from './troupe/v1/CreateActorOutcome.js';
import type { CreateActorOutcomeBatch as _troupe_v1_CreateActorOutcomeBatch, CreateActorOutcomeBatch__Output as _troupe_v1_CreateActorOutcomeBatch__Output } from './troupe/v1/CreateActorOutcomeBatch.js';
import type { CreateActorReply as _troupe_v1_CreateActorReply, CreateActorReply__Output as _troupe_v1_CreateActorReply__Output } from './troupe/v1/CreateActorReply.js';
import type { CreateActorRequest as _troupe_v1_CreateActorRequest, CreateActorRequest__Output as _troupe_v1_CreateActorRequest__Output } from './troupe/v1/CreateActorRequest.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from './troupe/v1/ErrorInfo.js';
import type { GetActorReply as _troupe_v1_GetActorReply, GetActorReply__Output as _troupe_v1_GetActorReply__Output } from './troupe/v1/GetActorReply.js';
import type { GetActorRequest as _troupe_v1_GetActorRequest, GetActorRequest__Output as _troupe_v1_GetActorRequest__Output } from './troupe/v1/GetActorRequest.js';
import type { GetClusterStatusReply as _troupe_v1_GetClusterStatusReply, GetClusterStatusReply__Output as _troupe_v1_GetClusterStatusReply__Output } from './troupe/v1/GetClusterStatusReply.js';
import type { GetClusterStatusRequest as _troupe_v1_GetClusterStatusRequest, GetClusterStatusRequest__Output as _troupe_v1_GetClusterStatusRequest__Output } from './troupe/v1/GetClusterStatusRequest.js';
import type { KillActorReply as _troupe_v1_KillActorReply, KillActorReply__Output as _troupe_v1_KillActorReply__Output } from './troupe/v1/KillActorReply.js';
import type { KillActorRequest as _troupe_v1_KillActorRequest, KillActorRequest__Output as _troupe_v1_KillActorRequest__Output } from './troupe/v1/KillActorRequest.js';
import type { NodeAffinity as _troupe_v1_NodeAffinity, NodeAffinity__Output as _troupe_v1_NodeAffinity__Output } from './troupe/v1/NodeAffinity.js';
import type { NodeInfo as _troupe_v1_NodeInfo, NodeInfo__Output as _troupe_v1_NodeInfo__Output } from './troupe/v1/NodeInfo.js';
import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from './troupe/v1/PlacementGroupInfo.js';
import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from './troupe/v1/ResourceMap.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  troupe: {
    v1: {
      ActorInfo: MessageTypeDefinition<_troupe_v1_ActorInfo, _troupe_v1_ActorInfo__Output>
      ActorService: SubtypeConstructor<typeof grpc.Client, _troupe_v1_ActorServiceClient> & { service: _troupe_v1_ActorServiceDefinition }
      ActorSpec: MessageTypeDefinition<_troupe_v1_ActorSpec, _troupe_v1_ActorSpec__Output>
      BundleInfo: MessageTypeDefinition<_troupe_v1_BundleInfo, _troupe_v1_BundleInfo__Output>
      CreateActorBatch: MessageTypeDefinition<_troupe_v1_CreateActorBatch, _troupe_v1_CreateActorBatch__Output>
      CreateActorItem: MessageTypeDefinition<_troupe_v1_CreateActorItem, _troupe_v1_CreateActorItem__Output>
      CreateActorOutcome: MessageTypeDefinition<_troupe_v1_CreateActorOutcome, _troupe_v1_CreateActorOutcome__Output>
      CreateActorOutcomeBatch: MessageTypeDefinition<_troupe_v1_CreateActorOutcomeBatch, _troupe_v1_CreateActorOutcomeBatch__Output>
      CreateActorReply: MessageTypeDefinition<_troupe_v1_CreateActorReply, _troupe_v1_CreateActorReply__Output>
      CreateActorRequest: MessageTypeDefinition<_troupe_v1_CreateActorRequest, _troupe_v1_CreateActorRequest__Output>
      ErrorInfo: MessageTypeDefinition<_troupe_v1_ErrorInfo, _troupe_v1_ErrorInfo__Output>
      GetActorReply: MessageTypeDefinition<_troupe_v1_GetActorReply, _troupe_v1_GetActorReply__Output>
      GetActorRequest: MessageTypeDefinition<_troupe_v1_GetActorRequest, _troupe_v1_GetActorRequest__Output>
      GetClusterStatusReply: MessageTypeDefinition<_troupe_v1_GetClusterStatusReply, _troupe_v1_GetClusterStatusReply__Output>
      GetClusterStatusRequest: MessageTypeDefinition<_troupe_v1_GetClusterStatusRequest, _troupe_v1_GetClusterStatusRequest__Output>
      KillActorReply: MessageTypeDefinition<_troupe_v1_KillActorReply, _troupe_v1_KillActorReply__Output>
      KillActorRequest: MessageTypeDefinition<_troupe_v1_KillActorRequest, _troupe_v1_KillActorRequest__Output>
      NodeAffinity: MessageTypeDefinition<_troupe_v1_NodeAffinity, _troupe_v1_NodeAffinity__Output>
      NodeInfo: MessageTypeDefinition<_troupe_v1_NodeInfo, _troupe_v1_NodeInfo__Output>
      PlacementGroupInfo: MessageTypeDefinition<_troupe_v1_PlacementGroupInfo, _troupe_v1_PlacementGroupInfo__Output>
      ResourceMap: MessageTypeDefinition<_troupe_v1_ResourceMap, _troupe_v1_ResourceMap__Output>
    }
  }
}

