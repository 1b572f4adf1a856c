import { fileURLToPath } from 'node:url';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import type { ProtoGrpcType as ActorProto } from '../generated/actor.js';
import type { ProtoGrpcType as ActorHostProto } from '../generated/actor_host.js';
import type { ProtoGrpcType as DriverProto } from '../generated/driver.js';
import type { ProtoGrpcType as JobProto } from '../generated/job.js';
import type { ProtoGrpcType as NodeProto } from '../generated/node.js';
import type { ProtoGrpcType as PlacementGroupProto } from '../generated/placement_group.js';
import type { ProtoGrpcType as WorkerProto } from '../generated/worker.js';
import { wireProblem } from './wire-check.js';

/** Finds `proto/` whether this file runs from `src/transport` (tsx) or `dist/src/transport`. */
function protoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'proto');
    if (existsSync(path.join(candidate, 'troupe', 'v1', 'common.proto'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new Error('troupe: cannot find the proto/ folder next to the package');
}

const ROOT = protoRoot();
// Every file of the package, as scripts/gen-wire-types.mjs generates them.
const FILES = readdirSync(path.join(ROOT, 'troupe', 'v1'))
  .filter((f) => f.endsWith('.proto'))
  .sort()
  .map((f) => `troupe/v1/${f}`);

// protobufjs view of the same files: encodes ErrorInfo into trailing metadata, and gives the strict
// check of every request its message type.
const pbRoot = new protobuf.Root();
pbRoot.resolvePath = (_origin, target) => path.join(ROOT, target);
pbRoot.loadSync(FILES, { keepCase: false });
pbRoot.resolveAll();
export const ErrorInfoType = pbRoot.lookupType('troupe.v1.ErrorInfo');

// These options must match scripts/gen-wire-types.mjs: src/generated describes what they produce.
const packageDefinition = protoLoader.loadSync(FILES, {
  includeDirs: [ROOT],
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

/**
 * A request that did not decode exactly (see wire-check.ts): what the request deserializer of
 * every method hands over instead of an object, so that the server interceptor refuses the call
 * with INVALID_ARGUMENT (grpc-js would turn a throwing deserializer into INTERNAL).
 */
export class MalformedRequest {
  constructor(readonly reason: string) {}
}

/**
 * Puts the strict check in front of the request deserializer of every method of every service,
 * in one place, so that every server that serves these services (the head, worker agents, actor
 * hosts) decodes strictly.
 */
function strictRequests(definition: protoLoader.PackageDefinition): void {
  for (const def of Object.values(definition)) {
    if ('format' in def) continue; // a message or enum type, not a service
    for (const method of Object.values(def as protoLoader.ServiceDefinition)) {
      const [, service, name] = method.path.split('/') as [string, string, string];
      const type = pbRoot.lookupService(service).methods[name]!.resolvedRequestType!;
      const decode = method.requestDeserialize;
      method.requestDeserialize = (bytes: Buffer) => {
        const problem = wireProblem(bytes, type);
        if (problem) return new MalformedRequest(`malformed ${type.fullName.slice(1)}: ${problem}`);
        try {
          return decode(bytes);
        } catch (err) {
          return new MalformedRequest(`malformed ${type.fullName.slice(1)}: ${(err as Error).message}`);
        }
      };
    }
  }
}
strictRequests(packageDefinition);

/** The typed `troupe.v1` package: one generated view per proto file, merged. */
type TroupeV1 = ActorProto['troupe']['v1'] &
  ActorHostProto['troupe']['v1'] &
  DriverProto['troupe']['v1'] &
  JobProto['troupe']['v1'] &
  NodeProto['troupe']['v1'] &
  PlacementGroupProto['troupe']['v1'] &
  WorkerProto['troupe']['v1'];

// The one place the loaded package meets its generated description (grpc-js returns an untyped
// GrpcObject; the generated ProtoGrpcType is how its docs say to type it).
const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as { troupe: { v1: TroupeV1 } };

/** Service constructors of `troupe.v1` (typed clients) with their `.service` definitions. */
export const troupeV1 = loaded.troupe.v1;
