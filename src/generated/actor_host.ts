import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActorHostServiceClient as _troupe_v1_ActorHostServiceClient, ActorHostServiceDefinition as _troupe_v1_ActorHostServiceDefinition } from './troupe/v1/ActorHostService.js';
import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from './troupe/v1/ActorInfo.js';
import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from './troupe/v1/ActorSpec.js';
import type { BundleInfo as _troupe_v1_BundleInfo, BundleInfo__Output as _troupe_v1_BundleInfo__Output } from './troupe/v1/BundleInfo.js';
import type { Call as _troupe_v1_Call, Call__Output as _troupe_v1_Call__Output } from './troupe/v1/Call.js';
import type { CallBatch as _troupe_v1_CallBatch, CallBatch__Output as _troupe_v1_CallBatch__Output } from './troupe/v1/CallBatch.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from './troupe/v1/ErrorInfo.js';
import type { NodeAffinity as _troupe_v1_NodeAffinity, NodeAffinity__Output as _troupe_v1_NodeAffinity__Output } from './troupe/v1/NodeAffinity.js';
import type { NodeInfo as _troupe_v1_NodeInfo, NodeInfo__Output as _troupe_v1_NodeInfo__Output } from './troupe/v1/NodeInfo.js';
import type { ObjectLocation as _troupe_v1_ObjectLocation, ObjectLocation__Output as _troupe_v1_ObjectLocation__Output } from './troupe/v1/ObjectLocation.js';
import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from './troupe/v1/PlacementGroupInfo.js';
import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from './troupe/v1/ResourceMap.js';
import type { Result as _troupe_v1_Result, Result__Output as _troupe_v1_Result__Output } from './troupe/v1/Result.js';
import type { ResultBatch as _troupe_v1_ResultBatch, ResultBatch__Output as _troupe_v1_ResultBatch__Output } from './troupe/v1/ResultBatch.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  troupe: {
    v1: {
      ActorHostService: SubtypeConstructor<typeof grpc.Client, _troupe_v1_ActorHostServiceClient> & { service: _troupe_v1_ActorHostServiceDefinition }
      ActorInfo: MessageTypeDefinition<_troupe_v1_ActorInfo, _troupe_v1_ActorInfo__Output>
      ActorSpec: MessageTypeDefinition<_troupe_v1_ActorSpec, _troupe_v1_ActorSpec__Output>
      BundleInfo: MessageTypeDefinition<_troupe_v1_BundleInfo, _troupe_v1_BundleInfo__Output>
      Call: MessageTypeDefinition<_troupe_v1_Call, _troupe_v1_Call__Output>
      CallBatch: MessageTypeDefinition<_troupe_v1_CallBatch, _troupe_v1_CallBatch__Output>
      ErrorInfo: MessageTypeDefinition<_troupe_v1_ErrorInfo, _troupe_v1_ErrorInfo__Output>
      NodeAffinity: MessageTypeDefinition<_troupe_v1_NodeAffinity, _troupe_v1_NodeAffinity__Output>
      NodeInfo: MessageTypeDefinition<_troupe_v1_NodeInfo, _troupe_v1_NodeInfo__Output>
      ObjectLocation: MessageTypeDefinition<_troupe_v1_ObjectLocation, _troupe_v1_ObjectLocation__Output>
      PlacementGroupInfo: MessageTypeDefinition<_troupe_v1_PlacementGroupInfo, _troupe_v1_PlacementGroupInfo__Output>
      ResourceMap: MessageTypeDefinition<_troupe_v1_ResourceMap, _troupe_v1_ResourceMap__Output>
      Result: MessageTypeDefinition<_troupe_v1_Result, _troupe_v1_Result__Output>
      ResultBatch: MessageTypeDefinition<_troupe_v1_ResultBatch, _troupe_v1_ResultBatch__Output>
    }
  }
}

