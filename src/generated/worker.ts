import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from './troupe/v1/ActorInfo.js';
import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from './troupe/v1/ActorSpec.js';
import type { BundleInfo as _troupe_v1_BundleInfo, BundleInfo__Output as _troupe_v1_BundleInfo__Output } from './troupe/v1/BundleInfo.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from './troupe/v1/ErrorInfo.js';
import type { NodeAffinity as _troupe_v1_NodeAffinity, NodeAffinity__Output as _troupe_v1_NodeAffinity__Output } from './troupe/v1/NodeAffinity.js';
import type { NodeInfo as _troupe_v1_NodeInfo, NodeInfo__Output as _troupe_v1_NodeInfo__Output } from './troupe/v1/NodeInfo.js';
import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from './troupe/v1/PlacementGroupInfo.js';
import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from './troupe/v1/ResourceMap.js';
import type { StartActorBatch as _troupe_v1_StartActorBatch, StartActorBatch__Output as _troupe_v1_StartActorBatch__Output } from './troupe/v1/StartActorBatch.js';
import type { StartActorItem as _troupe_v1_StartActorItem, StartActorItem__Output as _troupe_v1_StartActorItem__Output } from './troupe/v1/StartActorItem.js';
import type { StartActorOutcome as _troupe_v1_StartActorOutcome, StartActorOutcome__Output as _troupe_v1_StartActorOutcome__Output } from './troupe/v1/StartActorOutcome.js';
import type { StartActorOutcomeBatch as _troupe_v1_StartActorOutcomeBatch, StartActorOutcomeBatch__Output as _troupe_v1_StartActorOutcomeBatch__Output } from './troupe/v1/StartActorOutcomeBatch.js';
import type { StartActorReply as _troupe_v1_StartActorReply, StartActorReply__Output as _troupe_v1_StartActorReply__Output } from './troupe/v1/StartActorReply.js';
import type { StartActorRequest as _troupe_v1_StartActorRequest, StartActorRequest__Output as _troupe_v1_StartActorRequest__Output } from './troupe/v1/StartActorRequest.js';
import type { WorkerKillActorReply as _troupe_v1_WorkerKillActorReply, WorkerKillActorReply__Output as _troupe_v1_WorkerKillActorReply__Output } from './troupe/v1/WorkerKillActorReply.js';
import type { WorkerKillActorRequest as _troupe_v1_WorkerKillActorRequest, WorkerKillActorRequest__Output as _troupe_v1_WorkerKillActorRequest__Output } from './troupe/v1/WorkerKillActorRequest.js';
import type { WorkerServiceClient as _troupe_v1_WorkerServiceClient, WorkerServiceDefinition as _troupe_v1_WorkerServiceDefinition } from './troupe/v1/WorkerService.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  troupe: {
    v1: {
      ActorInfo: MessageTypeDefinition<_troupe_v1_ActorInfo, _troupe_v1_ActorInfo__Output>
      ActorSpec: MessageTypeDefinition<_troupe_v1_ActorSpec, _troupe_v1_ActorSpec__Output>
      BundleInfo: MessageTypeDefinition<_troupe_v1_BundleInfo, _troupe_v1_BundleInfo__Output>
      ErrorInfo: MessageTypeDefinition<_troupe_v1_ErrorInfo, _troupe_v1_ErrorInfo__Output>
      NodeAffinity: MessageTypeDefinition<_troupe_v1_NodeAffinity, _troupe_v1_NodeAffinity__Output>
      NodeInfo: MessageTypeDefinition<_troupe_v1_NodeInfo, _troupe_v1_NodeInfo__Output>
      PlacementGroupInfo: MessageTypeDefinition<_troupe_v1_PlacementGroupInfo, _troupe_v1_PlacementGroupInfo__Output>
      ResourceMap: MessageTypeDefinition<_troupe_v1_ResourceMap, _troupe_v1_ResourceMap__Output>
      StartActorBatch: MessageTypeDefinition<_troupe_v1_StartActorBatch, _troupe_v1_StartActorBatch__Output>
      StartActorItem: MessageTypeDefinition<_troupe_v1_StartActorItem, _troupe_v1_StartActorItem__Output>
      StartActorOutcome: MessageTypeDefinition<_troupe_v1_StartActorOutcome, _troupe_v1_StartActorOutcome__Output>
      StartActorOutcomeBatch: MessageTypeDefinition<_troupe_v1_StartActorOutcomeBatch, _troupe_v1_StartActorOutcomeBatch__Output>
      StartActorReply: MessageTypeDefinition<_troupe_v1_StartActorReply, _troupe_v1_StartActorReply__Output>
      StartActorRequest: MessageTypeDefinition<_troupe_v1_StartActorRequest, _troupe_v1_StartActorRequest__Output>
      WorkerKillActorReply: MessageTypeDefinition<_troupe_v1_WorkerKillActorReply, _troupe_v1_WorkerKillActorReply__Output>
      WorkerKillActorRequest: MessageTypeDefinition<_troupe_v1_WorkerKillActorRequest, _troupe_v1_WorkerKillActorRequest__Output>
      WorkerService: SubtypeConstructor<typeof grpc.Client, _troupe_v1_WorkerServiceClient> & { service: _troupe_v1_WorkerServiceDefinition }
    }
  }
}

