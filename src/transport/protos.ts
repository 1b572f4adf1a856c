import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

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
const FILES = ['troupe/v1/common.proto', 'troupe/v1/head.proto', 'troupe/v1/worker.proto', 'troupe/v1/actor.proto'];

const packageDefinition = protoLoader.loadSync(FILES, {
  includeDirs: [ROOT],
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

interface TroupeV1 {
  HeadService: grpc.ServiceClientConstructor;
  WorkerService: grpc.ServiceClientConstructor;
  ActorService: grpc.ServiceClientConstructor;
}

const loaded = grpc.loadPackageDefinition(packageDefinition) as unknown as { troupe: { v1: TroupeV1 } };

export const services = loaded.troupe.v1;

// protobufjs view of the same files, used to encode ErrorInfo into trailing metadata.
const pbRoot = new protobuf.Root();
pbRoot.resolvePath = (_origin, target) => path.join(ROOT, target);
pbRoot.loadSync(FILES, { keepCase: false });
export const ErrorInfoType = pbRoot.lookupType('troupe.v1.ErrorInfo');
