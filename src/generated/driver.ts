import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { DriverMessage as _troupe_v1_DriverMessage, DriverMessage__Output as _troupe_v1_DriverMessage__Output } from './troupe/v1/DriverMessage.js';
import type { DriverServiceClient as _troupe_v1_DriverServiceClient, DriverServiceDefinition as _troupe_v1_DriverServiceDefinition } from './troupe/v1/DriverService.js';
import type { HeadMessage as _troupe_v1_HeadMessage, HeadMessage__Output as _troupe_v1_HeadMessage__Output } from './troupe/v1/HeadMessage.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  troupe: {
    v1: {
      DriverMessage: MessageTypeDefinition<_troupe_v1_DriverMessage, _troupe_v1_DriverMessage__Output>
      DriverService: SubtypeConstructor<typeof grpc.Client, _troupe_v1_DriverServiceClient> & { service: _troupe_v1_DriverServiceDefinition }
      HeadMessage: MessageTypeDefinition<_troupe_v1_HeadMessage, _troupe_v1_HeadMessage__Output>
    }
  }
}

