// Original file: proto/troupe/v1/placement_group.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CreatePlacementGroupRequest as _troupe_v1_CreatePlacementGroupRequest, CreatePlacementGroupRequest__Output as _troupe_v1_CreatePlacementGroupRequest__Output } from '../../troupe/v1/CreatePlacementGroupRequest.js';
import type { GetPlacementGroupRequest as _troupe_v1_GetPlacementGroupRequest, GetPlacementGroupRequest__Output as _troupe_v1_GetPlacementGroupRequest__Output } from '../../troupe/v1/GetPlacementGroupRequest.js';
import type { PlacementGroupOpBatch as _troupe_v1_PlacementGroupOpBatch, PlacementGroupOpBatch__Output as _troupe_v1_PlacementGroupOpBatch__Output } from '../../troupe/v1/PlacementGroupOpBatch.js';
import type { PlacementGroupOpOutcomeBatch as _troupe_v1_PlacementGroupOpOutcomeBatch, PlacementGroupOpOutcomeBatch__Output as _troupe_v1_PlacementGroupOpOutcomeBatch__Output } from '../../troupe/v1/PlacementGroupOpOutcomeBatch.js';
import type { PlacementGroupReply as _troupe_v1_PlacementGroupReply, PlacementGroupReply__Output as _troupe_v1_PlacementGroupReply__Output } from '../../troupe/v1/PlacementGroupReply.js';
import type { RemovePlacementGroupReply as _troupe_v1_RemovePlacementGroupReply, RemovePlacementGroupReply__Output as _troupe_v1_RemovePlacementGroupReply__Output } from '../../troupe/v1/RemovePlacementGroupReply.js';
import type { RemovePlacementGroupRequest as _troupe_v1_RemovePlacementGroupRequest, RemovePlacementGroupRequest__Output as _troupe_v1_RemovePlacementGroupRequest__Output } from '../../troupe/v1/RemovePlacementGroupRequest.js';

export interface PlacementGroupServiceClient extends grpc.Client {
  CreatePlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  CreatePlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  CreatePlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  CreatePlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  createPlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  createPlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  createPlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  createPlacementGroup(argument: _troupe_v1_CreatePlacementGroupRequest, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  
  GetPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  GetPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  GetPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  GetPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  getPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  getPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  getPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  getPlacementGroup(argument: _troupe_v1_GetPlacementGroupRequest, callback: grpc.requestCallback<_troupe_v1_PlacementGroupReply__Output>): grpc.ClientUnaryCall;
  
  PlacementGroupOps(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_PlacementGroupOpBatch, _troupe_v1_PlacementGroupOpOutcomeBatch__Output>;
  PlacementGroupOps(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_PlacementGroupOpBatch, _troupe_v1_PlacementGroupOpOutcomeBatch__Output>;
  placementGroupOps(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_PlacementGroupOpBatch, _troupe_v1_PlacementGroupOpOutcomeBatch__Output>;
  placementGroupOps(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_PlacementGroupOpBatch, _troupe_v1_PlacementGroupOpOutcomeBatch__Output>;
  
  RemovePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  RemovePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  RemovePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  RemovePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  removePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  removePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  removePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  removePlacementGroup(argument: _troupe_v1_RemovePlacementGroupRequest, callback: grpc.requestCallback<_troupe_v1_RemovePlacementGroupReply__Output>): grpc.ClientUnaryCall;
  
}

export interface PlacementGroupServiceHandlers extends grpc.UntypedServiceImplementation {
  CreatePlacementGroup: grpc.handleUnaryCall<_troupe_v1_CreatePlacementGroupRequest__Output, _troupe_v1_PlacementGroupReply>;
  
  GetPlacementGroup: grpc.handleUnaryCall<_troupe_v1_GetPlacementGroupRequest__Output, _troupe_v1_PlacementGroupReply>;
  
  PlacementGroupOps: grpc.handleBidiStreamingCall<_troupe_v1_PlacementGroupOpBatch__Output, _troupe_v1_PlacementGroupOpOutcomeBatch>;
  
  RemovePlacementGroup: grpc.handleUnaryCall<_troupe_v1_RemovePlacementGroupRequest__Output, _troupe_v1_RemovePlacementGroupReply>;
  
}

export interface PlacementGroupServiceDefinition extends grpc.ServiceDefinition {
  CreatePlacementGroup: MethodDefinition<_troupe_v1_CreatePlacementGroupRequest, _troupe_v1_PlacementGroupReply, _troupe_v1_CreatePlacementGroupRequest__Output, _troupe_v1_PlacementGroupReply__Output>
  GetPlacementGroup: MethodDefinition<_troupe_v1_GetPlacementGroupRequest, _troupe_v1_PlacementGroupReply, _troupe_v1_GetPlacementGroupRequest__Output, _troupe_v1_PlacementGroupReply__Output>
  PlacementGroupOps: MethodDefinition<_troupe_v1_PlacementGroupOpBatch, _troupe_v1_PlacementGroupOpOutcomeBatch, _troupe_v1_PlacementGroupOpBatch__Output, _troupe_v1_PlacementGroupOpOutcomeBatch__Output>
  RemovePlacementGroup: MethodDefinition<_troupe_v1_RemovePlacementGroupRequest, _troupe_v1_RemovePlacementGroupReply, _troupe_v1_RemovePlacementGroupRequest__Output, _troupe_v1_RemovePlacementGroupReply__Output>
}
