// Original file: proto/troupe/v1/driver.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DriverMessage as _troupe_v1_DriverMessage, DriverMessage__Output as _troupe_v1_DriverMessage__Output } from '../../troupe/v1/DriverMessage.js';
import type { HeadMessage as _troupe_v1_HeadMessage, HeadMessage__Output as _troupe_v1_HeadMessage__Output } from '../../troupe/v1/HeadMessage.js';

export interface DriverServiceClient extends grpc.Client {
  AttachDriver(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_DriverMessage, _troupe_v1_HeadMessage__Output>;
  AttachDriver(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_DriverMessage, _troupe_v1_HeadMessage__Output>;
  attachDriver(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_DriverMessage, _troupe_v1_HeadMessage__Output>;
  attachDriver(options?: grpc.CallOptions): grpc.ClientDuplexStream<_troupe_v1_DriverMessage, _troupe_v1_HeadMessage__Output>;
  
}

export interface DriverServiceHandlers extends grpc.UntypedServiceImplementation {
  AttachDriver: grpc.handleBidiStreamingCall<_troupe_v1_DriverMessage__Output, _troupe_v1_HeadMessage>;
  
}

export interface DriverServiceDefinition extends grpc.ServiceDefinition {
  AttachDriver: MethodDefinition<_troupe_v1_DriverMessage, _troupe_v1_HeadMessage, _troupe_v1_DriverMessage__Output, _troupe_v1_HeadMessage__Output>
}
