// Original file: proto/troupe/v1/worker.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { StartActorBatch as _troupe_v1_StartActorBatch, StartActorBatch__Output as _troupe_v1_StartActorBatch__Output } from '../../troupe/v1/StartActorBatch.js';
import type { StartActorOutcomeBatch as _troupe_v1_StartActorOutcomeBatch, StartActorOutcomeBatch__Output as _troupe_v1_StartActorOutcomeBatch__Output } from '../../troupe/v1/StartActorOutcomeBatch.js';
import type { StartActorReply as _troupe_v1_StartActorReply, StartActorReply__Output as _troupe_v1_StartActorReply__Output } from '../../troupe/v1/StartActorReply.js';
import type { StartActorRequest as _troupe_v1_StartActorRequest, StartActorRequest__Output as _troupe_v1_StartActorRequest__Output } from '../../troupe/v1/StartActorRequest.js';
import type { WorkerKillActorReply as _troupe_v1_WorkerKillActorReply, WorkerKillActorReply__Output as _troupe_v1_WorkerKillActorReply__Output } from '../../troupe/v1/WorkerKillActorReply.js';
import type { WorkerKillActorRequest as _troupe_v1_WorkerKillActorRequest, WorkerKillActorRequest__Output as _troupe_v1_WorkerKillActorRequest__Output } from '../../troupe/v1/WorkerKillActorRequest.js';

export interface WorkerServiceClient extends grpc.Client {
  KillActor(argument: _troupe_v1_WorkerKillActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  KillActor(argument: _troupe_v1_WorkerKillActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  KillActor(argument: _troupe_v1_WorkerKillActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  KillActor(argument: _troupe_v1_WorkerKillActorRequest, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_WorkerKillActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_WorkerKillActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_WorkerKillActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  killActor(argument: _troupe_v1_WorkerKillActorRequest, callback: grpc.requestCallback<_troupe_v1_WorkerKillActorReply__Output>): grpc.ClientUnaryCall;
  
  StartActor(argument: _troupe_v1_StartActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  StartActor(argument: _troupe_v1_StartActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  StartActor(argument: _troupe_v1_StartActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  StartActor(argument: _troupe_v1_StartActorRequest, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  startActor(argument: _troupe_v1_StartActorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  startActor(argument: _troupe_v1_StartActorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  startActor(argument: _troupe_v1_StartActorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  startActor(argument: _troupe_v1_StartActorRequest, callback: grpc.requestCallback<_troupe_v1_StartActorReply__Output>): grpc.ClientUnaryCall;
  
  StartActors(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_StartActorBatch, _troupe_v1_StartActorOutcomeBatch__Output>;
  StartActors(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_StartActorBatch, _troupe_v1_StartActorOutcomeBatch__Output>;
  startActors(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_StartActorBatch, _troupe_v1_StartActorOutcomeBatch__Output>;
  startActors(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_StartActorBatch, _troupe_v1_StartActorOutcomeBatch__Output>;
  
}

export interface WorkerServiceHandlers extends grpc.UntypedServiceImplementation {
  KillActor: grpc.handleUnaryCall<_troupe_v1_WorkerKillActorRequest__Output, _troupe_v1_WorkerKillActorReply>;
  
  StartActor: grpc.handleUnaryCall<_troupe_v1_StartActorRequest__Output, _troupe_v1_StartActorReply>;
  
  StartActors: grpc.handleBidiStreamingCall<_troupe_v1_StartActorBatch__Output, _troupe_v1_StartActorOutcomeBatch>;
  
}

export interface WorkerServiceDefinition extends grpc.ServiceDefinition {
  KillActor: MethodDefinition<_troupe_v1_WorkerKillActorRequest, _troupe_v1_WorkerKillActorReply, _troupe_v1_WorkerKillActorRequest__Output, _troupe_v1_WorkerKillActorReply__Output>
  StartActor: MethodDefinition<_troupe_v1_StartActorRequest, _troupe_v1_StartActorReply, _troupe_v1_StartActorRequest__Output, _troupe_v1_StartActorReply__Output>
  StartActors: MethodDefinition<_troupe_v1_StartActorBatch, _troupe_v1_StartActorOutcomeBatch, _troupe_v1_StartActorBatch__Output, _troupe_v1_StartActorOutcomeBatch__Output>
}
