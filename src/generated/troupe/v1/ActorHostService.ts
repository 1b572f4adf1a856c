// Original file: proto/troupe/v1/actor_host.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CallBatch as _troupe_v1_CallBatch, CallBatch__Output as _troupe_v1_CallBatch__Output } from '../../troupe/v1/CallBatch.js';
import type { ResultBatch as _troupe_v1_ResultBatch, ResultBatch__Output as _troupe_v1_ResultBatch__Output } from '../../troupe/v1/ResultBatch.js';

export interface ActorHostServiceClient extends grpc.Client {
  Calls(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CallBatch, _troupe_v1_ResultBatch__Output>;
  Calls(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CallBatch, _troupe_v1_ResultBatch__Output>;
  calls(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CallBatch, _troupe_v1_ResultBatch__Output>;
  calls(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_CallBatch, _troupe_v1_ResultBatch__Output>;
  
}

export interface ActorHostServiceHandlers extends grpc.UntypedServiceImplementation {
  Calls: grpc.handleBidiStreamingCall<_troupe_v1_CallBatch__Output, _troupe_v1_ResultBatch>;
  
}

export interface ActorHostServiceDefinition extends grpc.ServiceDefinition {
  Calls: MethodDefinition<_troupe_v1_CallBatch, _troupe_v1_ResultBatch, _troupe_v1_CallBatch__Output, _troupe_v1_ResultBatch__Output>
}
