/**
 * Loads bench/raw/echo.proto from the source tree. tsc does not copy .proto files, so the compiled
 * module (dist/bench/raw/proto.js) looks for it in the source tree first and beside itself second.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The path of echo.proto, whether this module runs from `dist/bench/raw` or from `bench/raw`. */
export function echoProtoPath(): string {
  const candidates = [
    new URL('../../../bench/raw/echo.proto', import.meta.url), // dist/bench/raw/proto.js
    new URL('./echo.proto', import.meta.url), // bench/raw/proto.ts run directly (tsx)
  ];
  for (const url of candidates) {
    const path = fileURLToPath(url);
    if (existsSync(path)) return path;
  }
  throw new Error(`echo.proto not found; looked at ${candidates.map((u) => fileURLToPath(u)).join(', ')}`);
}

export interface Msg {
  seq: number;
  payload: Buffer;
}

/** The constructor of the generated Echo client; also carries `.service` for the server. */
export type EchoClientCtor = grpc.ServiceClientConstructor;

export function loadEcho(): EchoClientCtor {
  const def = protoLoader.loadSync(echoProtoPath(), { longs: Number, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { bench: { v1: { Echo: EchoClientCtor } } };
  return pkg.bench.v1.Echo;
}
