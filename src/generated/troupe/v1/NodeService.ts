// Original file: proto/troupe/v1/node.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { HeartbeatReply as _troupe_v1_HeartbeatReply, HeartbeatReply__Output as _troupe_v1_HeartbeatReply__Output } from '../../troupe/v1/HeartbeatReply.js';
import type { HeartbeatRequest as _troupe_v1_HeartbeatRequest, HeartbeatRequest__Output as _troupe_v1_HeartbeatRequest__Output } from '../../troupe/v1/HeartbeatRequest.js';
import type { RegisterNodeReply as _troupe_v1_RegisterNodeReply, RegisterNodeReply__Output as _troupe_v1_RegisterNodeReply__Output } from '../../troupe/v1/RegisterNodeReply.js';
import type { RegisterNodeRequest as _troupe_v1_RegisterNodeRequest, RegisterNodeRequest__Output as _troupe_v1_RegisterNodeRequest__Output } from '../../troupe/v1/RegisterNodeRequest.js';
import type { ReportActorExitReply as _troupe_v1_ReportActorExitReply, ReportActorExitReply__Output as _troupe_v1_ReportActorExitReply__Output } from '../../troupe/v1/ReportActorExitReply.js';
import type { ReportActorExitRequest as _troupe_v1_ReportActorExitRequest, ReportActorExitRequest__Output as _troupe_v1_ReportActorExitRequest__Output } from '../../troupe/v1/ReportActorExitRequest.js';

export interface NodeServiceClient extends grpc.Client {
  Heartbeat(argument: _troupe_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _troupe_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _troupe_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _troupe_v1_HeartbeatRequest, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _troupe_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _troupe_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _troupe_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _troupe_v1_HeartbeatRequest, callback: grpc.requestCallback<_troupe_v1_HeartbeatReply__Output>): grpc.ClientUnaryCall;
  
  RegisterNode(argument: _troupe_v1_RegisterNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _troupe_v1_RegisterNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _troupe_v1_RegisterNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  RegisterNode(argument: _troupe_v1_RegisterNodeRequest, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _troupe_v1_RegisterNodeRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _troupe_v1_RegisterNodeRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _troupe_v1_RegisterNodeRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  registerNode(argument: _troupe_v1_RegisterNodeRequest, callback: grpc.requestCallback<_troupe_v1_RegisterNodeReply__Output>): grpc.ClientUnaryCall;
  
  ReportActorExit(argument: _troupe_v1_ReportActorExitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  ReportActorExit(argument: _troupe_v1_ReportActorExitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  ReportActorExit(argument: _troupe_v1_ReportActorExitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  ReportActorExit(argument: _troupe_v1_ReportActorExitRequest, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  reportActorExit(argument: _troupe_v1_ReportActorExitRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  reportActorExit(argument: _troupe_v1_ReportActorExitRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  reportActorExit(argument: _troupe_v1_ReportActorExitRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  reportActorExit(argument: _troupe_v1_ReportActorExitRequest, callback: grpc.requestCallback<_troupe_v1_ReportActorExitReply__Output>): grpc.ClientUnaryCall;
  
}

export interface NodeServiceHandlers extends grpc.UntypedServiceImplementation {
  Heartbeat: grpc.handleUnaryCall<_troupe_v1_HeartbeatRequest__Output, _troupe_v1_HeartbeatReply>;
  
  RegisterNode: grpc.handleUnaryCall<_troupe_v1_RegisterNodeRequest__Output, _troupe_v1_RegisterNodeReply>;
  
  ReportActorExit: grpc.handleUnaryCall<_troupe_v1_ReportActorExitRequest__Output, _troupe_v1_ReportActorExitReply>;
  
}

export interface NodeServiceDefinition extends grpc.ServiceDefinition {
  Heartbeat: MethodDefinition<_troupe_v1_HeartbeatRequest, _troupe_v1_HeartbeatReply, _troupe_v1_HeartbeatRequest__Output, _troupe_v1_HeartbeatReply__Output>
  RegisterNode: MethodDefinition<_troupe_v1_RegisterNodeRequest, _troupe_v1_RegisterNodeReply, _troupe_v1_RegisterNodeRequest__Output, _troupe_v1_RegisterNodeReply__Output>
  ReportActorExit: MethodDefinition<_troupe_v1_ReportActorExitRequest, _troupe_v1_ReportActorExitReply, _troupe_v1_ReportActorExitRequest__Output, _troupe_v1_ReportActorExitReply__Output>
}
