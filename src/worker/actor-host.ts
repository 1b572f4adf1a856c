import * as grpc from '@grpc/grpc-js';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import {
  ActorConstructorError,
  ActorDiedError,
  ModuleLoadError,
  TroupeError,
  errorToInfo,
  type DeathCause,
  type ErrorInfo,
} from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { decode } from '../transport/codec.js';
import { services } from '../transport/protos.js';
import { bindServer, serverOptions, closeServer, makeClient, DEFAULT_MAX_MESSAGE_BYTES } from '../transport/grpc.js';
import { approxWireBytes, messageTooLarge, splitBySize, tooLarge } from '../transport/wire-size.js';
import { ActorInstance, type Outcome } from './actor-runtime.js';

interface WireCall {
  seq: number;
  actorId: string;
  method: string;
  args: Buffer;
}
interface WireResult {
  seq: number;
  value?: Buffer;
  error?: ErrorInfo;
}

export interface ActorHostOptions {
  host: string;
  token: string;
  maxMessageBytes?: number;
  log: Logger;
}

/**
 * Serves ActorService for the actors living in this process (one for `isolation: 'process'`,
 * many for `'shared'`). Each caller's stream delivers calls in order; results are batched per tick.
 */
export class ActorHost {
  private readonly actors = new Map<string, ActorInstance>();
  private readonly dead = new Map<string, DeathCause>();
  private readonly modules = new Map<string, Promise<Record<string, unknown>>>();
  private readonly server: grpc.Server;

  constructor(private readonly options: ActorHostOptions) {
    this.server = new grpc.Server(serverOptions({ token: options.token, log: options.log }, options.maxMessageBytes));
    this.server.addService(services.ActorService.service, {
      Calls: (call: grpc.ServerDuplexStream<{ calls: WireCall[] }, { results: WireResult[] }>) => this.serve(call),
    });
  }

  listen(): Promise<number> {
    return bindServer(this.server, this.options.host, 0);
  }

  /** Sends one call to a missing actor through our own server and waits for its answer. */
  async warmUp(port: number): Promise<void> {
    const address = `${this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host}:${port}`;
    const client = makeClient<grpc.Client>(services.ActorService, address, this.options.token, this.options.maxMessageBytes);
    try {
      await new Promise<void>((resolve, reject) => {
        const stream = (client as unknown as { Calls: () => grpc.ClientDuplexStream<unknown, unknown> }).Calls();
        const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
        stream.on('data', () => {
          clearTimeout(timer);
          stream.end();
          resolve();
        });
        stream.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.write({ calls: [{ seq: 1, actorId: 'warm-up', method: 'warmUp', args: Buffer.alloc(0) }] });
      });
    } finally {
      client.close();
    }
  }

  close(): Promise<void> {
    return closeServer(this.server, 200);
  }

  /** Imports the module, finds the export, runs the constructor. Errors name what failed. */
  async create(actorId: string, moduleSpec: string, exportName: string, rawArgs: Uint8Array, maxConcurrency: number): Promise<void> {
    let mod: Record<string, unknown>;
    try {
      // Shared hosts create many actors of one class: resolve the module once.
      let loading = this.modules.get(moduleSpec);
      if (!loading) {
        loading = import(toImportable(moduleSpec)) as Promise<Record<string, unknown>>;
        this.modules.set(moduleSpec, loading);
        loading.catch(() => this.modules.delete(moduleSpec));
      }
      mod = await loading;
    } catch (err) {
      throw new ModuleLoadError(`cannot load actor module ${moduleSpec}: ${(err as Error).message}`, {
        cause: err,
        context: { actorId, module: moduleSpec },
      });
    }
    const cls = mod[exportName];
    if (typeof cls !== 'function') {
      const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
      throw new ModuleLoadError(
        `module ${moduleSpec} has no class export '${exportName}'` +
          (exported.length ? `; its exported functions and classes are: ${exported.join(', ')}` : '; it exports no classes'),
        { context: { actorId, module: moduleSpec, exportName } },
      );
    }
    const args = decode<unknown[]>(rawArgs, 'constructor arguments');
    let instance: Record<string, unknown>;
    try {
      instance = new (cls as new (...a: unknown[]) => Record<string, unknown>)(...(Array.isArray(args) ? args : []));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new ActorConstructorError(`constructor of ${exportName} threw: ${message}`, {
        cause: err,
        context: { actorId },
        remoteStack: err instanceof Error ? err.stack : undefined,
      });
    }
    this.actors.set(actorId, new ActorInstance(actorId, exportName, instance, Math.max(1, maxConcurrency)));
  }

  destroy(actorId: string, cause: DeathCause): void {
    const actor = this.actors.get(actorId);
    this.actors.delete(actorId);
    this.dead.set(actorId, cause);
    actor?.destroy(cause);
  }

  get size(): number {
    return this.actors.size;
  }

  private serve(call: grpc.ServerDuplexStream<{ calls: WireCall[] }, { results: WireResult[] }>): void {
    const maxBytes = this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    let pending: WireResult[] = [];
    let sizes: number[] = [];
    let scheduled = false;
    let open = true;
    const flush = (): void => {
      scheduled = false;
      if (!open || pending.length === 0) return;
      const results = pending;
      const resultSizes = sizes;
      pending = [];
      sizes = [];
      // A message over the limit would end the stream and fail every call on it: split.
      for (const batch of splitBySize(results, resultSizes, maxBytes)) call.write({ results: batch });
    };
    const replyFor = (seq: number, actorId: string, method: string) => (outcome: Outcome) => {
      let result: WireResult = 'value' in outcome ? { seq, value: outcome.value } : { seq, error: outcome.error };
      let size = 'value' in outcome ? outcome.value.length + 32 : approxWireBytes(outcome.error) + 32;
      if (tooLarge(size, maxBytes)) {
        const what = 'value' in outcome ? `the result of ${method}` : `the error thrown by ${method}`;
        const error = errorToInfo(messageTooLarge(what, size, maxBytes, { actorId, method }));
        result = { seq, error };
        size = approxWireBytes(error) + 32;
      }
      pending.push(result);
      sizes.push(size);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(flush);
      }
    };
    call.on('data', (batch: { calls: WireCall[] }) => {
      for (const c of batch.calls) {
        const actor = this.actors.get(c.actorId);
        if (actor) {
          actor.submit(c.method, c.args, replyFor(c.seq, c.actorId, c.method));
          continue;
        }
        replyFor(c.seq, c.actorId, c.method)({ error: errorToInfo(this.unknownActor(c.actorId, c.method)) });
      }
    });
    call.on('end', () => {
      open = false;
      call.end();
    });
    call.on('error', () => {
      open = false;
    });
    call.on('cancelled', () => {
      open = false;
    });
  }

  private unknownActor(actorId: string, method: string): TroupeError {
    const cause = this.dead.get(actorId);
    if (cause) return ActorDiedError.of(actorId, cause, method);
    return new ActorDiedError(`call to ${method} failed: actor ${actorId} does not live in this process`, {
      context: { actorId, method },
    });
  }
}

/** Accepts file URLs, absolute or relative paths, and bare package names. */
function toImportable(spec: string): string {
  if (spec.startsWith('file:') || spec.startsWith('data:') || spec.startsWith('node:')) return spec;
  if (path.isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../')) return pathToFileURL(path.resolve(spec)).href;
  return spec;
}
