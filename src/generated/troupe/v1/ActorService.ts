// Original file: proto/troupe/v1/actor.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreateActorBatch as _troupe_v1_CreateActorBatch, CreateActorBatch__Output as _troupe_v1_CreateActorBatch__Output } from '../../troupe/v1/CreateActorBatch.js';
import type { CreateActorOutcomeBatch as _troupe_v1_CreateActorOutcomeBatch, CreateActorOutcomeBatch__Output as _troupe_v1_CreateActorOutcomeBatch__Output } from '../../troupe/v1/CreateActorOutcomeBatch.js';
import type { CreateActorReply as _troupe_v1_CreateActorReply, CreateActorReply__Output as _troupe_v1_CreateActorReply__Output } from '../../troupe/v1/CreateActorReply.js';
import type { CreateActorRequest as _troupe_v1_CreateActorRequest, CreateActorRequest__Output as _troupe_v1_CreateActorRequest__Output } from '../../troupe/v1/CreateActorRequest.js';
import type { GetActorReply as _troupe_v1_GetActorReply, GetActorReply__Output as _troupe_v1_GetActorReply__Output } from '../../troupe/v1/GetActorReply.js';
import type { GetActorRequest as _troupe_v1_GetActorRequest, GetActorRequest__Output as _troupe_v1_GetActorRequest__Output } from '../../troupe/v1/GetActorRequest.js';
import type { GetClusterStatusReply as _troupe_v1_GetClusterStatusReply, GetClusterStatusReply__Output as _troupe_v1_GetClusterStatusReply__Output } from '../../troupe/v1/GetClusterStatusReply.js';
import type { GetClusterStatusRequest as _troupe_v1_GetClusterStatusRequest, GetClusterStatusRequest__Output as _troupe_v1_GetClusterStatusRequest__Output } from '../../troupe/v1/GetClusterStatusRequest.js';
import type { KillActorReply as _troupe_v1_KillActorReply, KillActorReply__Output as _troupe_v1_KillActorReply__Output } from '../../troupe/v1/KillActorReply.js';
import type { KillActorRequest as _troupe_v1_KillActorRequest, KillActorRequest__Output as _troupe_v1_KillActorRequest__Output } from '../../troupe/v1/KillActorRequest.js';

export interface ActorServiceClient extends grpc.Client {
  CreateActor(argument: _troupe_v1_CreateActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  CreateActor(argument: _troupe_v1_CreateActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  CreateActor(argument: _troupe_v1_CreateActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  CreateActor(argument: _troupe_v1_CreateActorRequest, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  createActor(argument: _troupe_v1_CreateActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  createActor(argument: _troupe_v1_CreateActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  createActor(argument: _troupe_v1_CreateActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  createActor(argument: _troupe_v1_CreateActorRequest, callback: grpc.requestCallback<_troupe_v1_CreateActorReply__Output>): grpc.ClientUnaryCall;
  
  CreateActors(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CreateActorBatch, _troupe_v1_CreateActorOutcomeBatch__Output>;
  CreateActors(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CreateActorBatch, _troupe_v1_CreateActorOutcomeBatch__Output>;
  createActors(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CreateActorBatch, _troupe_v1_CreateActorOutcomeBatch__Output>;
  createActors(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CreateActorBatch, _troupe_v1_CreateActorOutcomeBatch__Output>;
  
  GetActor(argument: _troupe_v1_GetActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  GetActor(argument: _troupe_v1_GetActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  GetActor(argument: _troupe_v1_GetActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  GetActor(argument: _troupe_v1_GetActorRequest, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  getActor(argument: _troupe_v1_GetActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  getActor(argument: _troupe_v1_GetActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  getActor(argument: _troupe_v1_GetActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  getActor(argument: _troupe_v1_GetActorRequest, callback: grpc.requestCallback<_troupe_v1_GetActorReply__Output>): grpc.ClientUnaryCall;
  
  GetClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  GetClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  getClusterStatus(argument: _troupe_v1_GetClusterStatusRequest, callback: grpc.requestCallback<_troupe_v1_GetClusterStatusReply__Output>): grpc.ClientUnaryCall;
  
  KillActor(argument: _troupe_v1_KillActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  KillActor(argument: _troupe_v1_KillActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  KillActor(argument: _troupe_v1_KillActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  KillActor(argument: _troupe_v1_KillActorRequest, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_KillActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_KillActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_KillActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_KillActorRequest, callback: grpc.requestCallback<_troupe_v1_KillActorReply__Output>): grpc.ClientUnaryCall;
  
}

export interface ActorServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateActor: grpc.handleUnaryCall<_troupe_v1_CreateActorRequest__Output, _troupe_v1_CreateActorReply>;
  
  CreateActors: grpc.handleBidiStreamingCall<_troupe_v1_CreateActorBatch__Output, _troupe_v1_CreateActorOutcomeBatch>;
  
  GetActor: grpc.handleUnaryCall<_troupe_v1_GetActorRequest__Output, _troupe_v1_GetActorReply>;
  
  GetClusterStatus: grpc.handleUnaryCall<_troupe_v1_GetClusterStatusRequest__Output, _troupe_v1_GetClusterStatusReply>;
  
  KillActor: grpc.handleUnaryCall<_troupe_v1_KillActorRequest__Output, _troupe_v1_KillActorReply>;
  
}

export interface ActorServiceDefinition extends grpc.ServiceDefinition {
  CreateActor: MethodDefinition<_troupe_v1_CreateActorRequest, _troupe_v1_CreateActorReply, _troupe_v1_CreateActorRequest__Output, _troupe_v1_CreateActorReply__Output>
  CreateActors: MethodDefinition<_troupe_v1_CreateActorBatch, _troupe_v1_CreateActorOutcomeBatch, _troupe_v1_CreateActorBatch__Output, _troupe_v1_CreateActorOutcomeBatch__Output>
  GetActor: MethodDefinition<_troupe_v1_GetActorRequest, _troupe_v1_GetActorReply, _troupe_v1_GetActorRequest__Output, _troupe_v1_GetActorReply__Output>
  GetClusterStatus: MethodDefinition<_troupe_v1_GetClusterStatusRequest, _troupe_v1_GetClusterStatusReply, _troupe_v1_GetClusterStatusRequest__Output, _troupe_v1_GetClusterStatusReply__Output>
  KillActor: MethodDefinition<_troupe_v1_KillActorRequest, _troupe_v1_KillActorReply, _troupe_v1_KillActorRequest__Output, _troupe_v1_KillActorReply__Output>
}
