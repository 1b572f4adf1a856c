import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from './troupe/v1/ActorInfo.js';
import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from './troupe/v1/ActorSpec.js';
import type { BundleInfo as _troupe_v1_BundleInfo, BundleInfo__Output as _troupe_v1_BundleInfo__Output } from './troupe/v1/BundleInfo.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from './troupe/v1/ErrorInfo.js';
import type { HeartbeatReply as _troupe_v1_HeartbeatReply, HeartbeatReply__Output as _troupe_v1_HeartbeatReply__Output } from './troupe/v1/HeartbeatReply.js';
import type { HeartbeatRequest as _troupe_v1_HeartbeatRequest, HeartbeatRequest__Output as _troupe_v1_HeartbeatRequest__Output } from './troupe/v1/HeartbeatRequest.js';
import type { NodeAffinity as _troupe_v1_NodeAffinity, NodeAffinity__Output as _troupe_v1_NodeAffinity__Output } from './troupe/v1/NodeAffinity.js';
import type { NodeInfo as _troupe_v1_NodeInfo, NodeInfo__Output as _troupe_v1_NodeInfo__Output } from './troupe/v1/NodeInfo.js';
import type { NodeServiceClient as _troupe_v1_NodeServiceClient, NodeServiceDefinition as _troupe_v1_NodeServiceDefinition } from './troupe/v1/NodeService.js';
import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from './troupe/v1/PlacementGroupInfo.js';
import type { RegisterNodeReply as _troupe_v1_RegisterNodeReply, RegisterNodeReply__Output as _troupe_v1_RegisterNodeReply__Output } from './troupe/v1/RegisterNodeReply.js';
import type { RegisterNodeRequest as _troupe_v1_RegisterNodeRequest, RegisterNodeRequest__Output as _troupe_v1_RegisterNodeRequest__Output } from './troupe/v1/RegisterNodeRequest.js';
import type { ReportActorExitReply as _troupe_v1_ReportActorExitReply, ReportActorExitReply__Output as _troupe_v1_ReportActorExitReply__Output } from './troupe/v1/ReportActorExitReply.js';
import type { ReportActorExitRequest as _troupe_v1_ReportActorExitRequest, ReportActorExitRequest__Output as _troupe_v1_ReportActorExitRequest__Output } from './troupe/v1/ReportActorExitRequest.js';
import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from './troupe/v1/ResourceMap.js';
import type { RunningActor as _troupe_v1_RunningActor, RunningActor__Output as _troupe_v1_RunningActor__Output } from './troupe/v1/RunningActor.js';

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
      HeartbeatReply: MessageTypeDefinition<_troupe_v1_HeartbeatReply, _troupe_v1_HeartbeatReply__Output>
      HeartbeatRequest: MessageTypeDefinition<_troupe_v1_HeartbeatRequest, _troupe_v1_HeartbeatRequest__Output>
      NodeAffinity: MessageTypeDefinition<_troupe_v1_NodeAffinity, _troupe_v1_NodeAffinity__Output>
      NodeInfo: MessageTypeDefinition<_troupe_v1_NodeInfo, _troupe_v1_NodeInfo__Output>
      NodeService: SubtypeConstructor<typeof grpc.Client, _troupe_v1_NodeServiceClient> & { service: _troupe_v1_NodeServiceDefinition }
      PlacementGroupInfo: MessageTypeDefinition<_troupe_v1_PlacementGroupInfo, _troupe_v1_PlacementGroupInfo__Output>
      RegisterNodeReply: MessageTypeDefinition<_troupe_v1_RegisterNodeReply, _troupe_v1_RegisterNodeReply__Output>
      RegisterNodeRequest: MessageTypeDefinition<_troupe_v1_RegisterNodeRequest, _troupe_v1_RegisterNodeRequest__Output>
      ReportActorExitReply: MessageTypeDefinition<_troupe_v1_ReportActorExitReply, _troupe_v1_ReportActorExitReply__Output>
      ReportActorExitRequest: MessageTypeDefinition<_troupe_v1_ReportActorExitRequest, _troupe_v1_ReportActorExitRequest__Output>
      ResourceMap: MessageTypeDefinition<_troupe_v1_ResourceMap, _troupe_v1_ResourceMap__Output>
      RunningActor: MessageTypeDefinition<_troupe_v1_RunningActor, _troupe_v1_RunningActor__Output>
    }
  }
}

