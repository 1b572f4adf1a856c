import * as grpc from '@grpc/grpc-js';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
import {
  ActorConstructorError,
  ActorDiedError,
  InvalidArgumentError,
  MethodNotFoundError,
  ModuleLoadError,
  TroupeError,
  errorToInfo,
  type DeathCause,
  type ErrorInfo,
} from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { decode, encode } from '../transport/codec.js';
import { hasLargeParts, split } from '../transport/out-of-band.js';
import { ObjectPlane, type ObjectLocation } from '../objects/plane.js';
import { MAX_OBJECT_ID_BYTES } from '../transport/data-plane/index.js';
import { decodedRefCount, decodingRefs } from '../objects/ref.js';
import { CollectiveGroup, collectiveBackend, groupsOf, joinGroup, leaveGroup, type BackendEndpoint } from '../collective/group.js';
import { services } from '../transport/protos.js';
import { bindServer, serverOptions, closeServer, makeClient, DEFAULT_MAX_MESSAGE_BYTES } from '../transport/grpc.js';
import { approxWireBytes, messageTooLarge, splitBySize, tooLarge } from '../transport/wire-size.js';
import { ActorInstance, type CallRequest, type Outcome, type Reply } from './actor-runtime.js';

interface WireCall {
  seq: number;
  actorId: string;
  method: string;
  args: Buffer;
  argsObject?: ObjectLocation | null;
  storeAs?: string;
}
interface WireBatch {
  calls: WireCall[];
  free?: string[];
  ownerId?: string;
}
interface WireResult {
  seq: number;
  value?: Buffer;
  error?: ErrorInfo;
  stored?: ObjectLocation;
}

/** Method names of runtime requests (not the actor's own methods). */
const SYSTEM_PREFIX = '~troupe.';

/** How long a caller's objects outlive its stream breaking, for it to come back. */
const OWNER_GRACE_MS = 10_000;

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
  /** Objects held here (large results, refs' values) and the client that pulls others. */
  readonly objects: ObjectPlane;
  /** Open Calls streams per owner id, and pending drops of owners whose streams all ended. */
  private readonly owners = new Map<string, { streams: number; drop?: NodeJS.Timeout }>();
  /** Names the large results kept here until their caller pulls them. */
  private readonly tempIds = { next: 0 };
  /** Collective groups being formed, by actor id and group name: opened, not yet connected. */
  private readonly forming = new Map<string, { endpoint: BackendEndpoint; rank: number; size: number; backend: string }>();

  constructor(private readonly options: ActorHostOptions) {
    this.objects = new ObjectPlane({ token: options.token, host: options.host, log: options.log.child({ component: 'objects' }) });
    this.server = new grpc.Server(serverOptions({ token: options.token, log: options.log }, options.maxMessageBytes));
    this.server.addService(services.ActorService.service, {
      Calls: (call: grpc.ServerDuplexStream<WireBatch, { results: WireResult[] }>) => this.serve(call),
    });
  }

  async listen(): Promise<number> {
    await this.objects.address();
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

  async close(): Promise<void> {
    await this.objects.close();
    await closeServer(this.server, 200);
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
    const decoded = decodingRefs(() => decode<unknown[]>(rawArgs, 'constructor arguments'));
    const args = decoded.sawRefs ? await this.objects.resolveRefs(decoded.result) : decoded.result;
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
    if (!actor) return;
    // Its groups go with it: the other members' pending collectives fail naming its rank.
    const why = ActorDiedError.of(actorId, cause);
    for (const g of groupsOf(actor.target)) {
      leaveGroup(actor.target, g.name);
      void g.close(why).catch(() => undefined);
    }
    for (const [key, f] of this.forming) {
      if (!key.startsWith(`${actorId}\0`)) continue;
      this.forming.delete(key);
      void f.endpoint.close().catch(() => undefined);
    }
  }

  get size(): number {
    return this.actors.size;
  }

  private serve(call: grpc.ServerDuplexStream<WireBatch, { results: WireResult[] }>): void {
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
      let result: WireResult;
      let size: number;
      if ('value' in outcome) {
        result = { seq, value: outcome.value };
        size = outcome.value.length + 32;
      } else if ('stored' in outcome) {
        result = { seq, stored: outcome.stored };
        size = approxWireBytes(outcome.stored) + 32;
      } else {
        result = { seq, error: outcome.error };
        size = approxWireBytes(outcome.error) + 32;
      }
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
    let owner: string | undefined;
    call.on('data', (batch: WireBatch) => {
      if (owner === undefined && batch.ownerId) {
        owner = batch.ownerId;
        this.ownerStreamOpened(owner);
      }
      if (batch.free) for (const id of batch.free) this.objects.store.delete(id);
      for (const c of batch.calls) {
        const actor = this.actors.get(c.actorId);
        if (actor && c.method.startsWith(SYSTEM_PREFIX)) {
          // Runtime requests about the actor (collective groups): not queued behind its calls.
          const reply = replyFor(c.seq, c.actorId, c.method);
          this.system(actor, c).then(reply, (err: unknown) => reply({ error: errorToInfo(err) }));
          continue;
        }
        if (actor && c.storeAs && Buffer.byteLength(c.storeAs) > MAX_OBJECT_ID_BYTES) {
          const err = new InvalidArgumentError(`store_as must be at most ${MAX_OBJECT_ID_BYTES} bytes, got ${Buffer.byteLength(c.storeAs)}`, {
            context: { field: 'store_as', actorId: c.actorId, method: c.method },
          });
          replyFor(c.seq, c.actorId, c.method)({ error: errorToInfo(err) });
          continue;
        }
        if (actor) {
          actor.submit(new WireRequest(this.objects, c, owner ?? '', this.tempIds), replyFor(c.seq, c.actorId, c.method));
          continue;
        }
        replyFor(c.seq, c.actorId, c.method)({ error: errorToInfo(this.unknownActor(c.actorId, c.method)) });
      }
    });
    let ended = false;
    const gone = (clean: boolean): void => {
      open = false;
      if (ended) return;
      ended = true;
      if (owner !== undefined) this.ownerStreamClosed(owner, clean);
    };
    call.on('end', () => {
      gone(true);
      call.end();
    });
    call.on('error', () => gone(false));
    call.on('cancelled', () => gone(false));
  }

  /** Runtime requests the driver sends to an actor, by method name (after SYSTEM_PREFIX). */
  private async system(actor: ActorInstance, c: WireCall): Promise<Outcome> {
    const args = decode<unknown[]>(c.args, `the arguments of ${c.method}`);
    const name = String(args[0]);
    const key = `${actor.actorId}\0${name}`;
    switch (c.method.slice(SYSTEM_PREFIX.length)) {
      case 'collective.open': {
        const [, rank, size, backend, token] = args as [string, number, number, string, string];
        // 'nccl' comes with the native core: loaded, and so registered, only when a group asks for it.
        if (backend === 'nccl') await import('../collective/nccl.js');
        const open = collectiveBackend(backend);
        const endpoint = await open({ rank, size, token, host: this.options.host, log: this.options.log.child({ group: name, rank }) });
        const previous = this.forming.get(key);
        if (previous) void previous.endpoint.close().catch(() => undefined);
        this.forming.set(key, { endpoint, rank, size, backend });
        return { value: encode(endpoint.rendezvous) };
      }
      case 'collective.connect': {
        const [, rendezvous, timeoutMs] = args as [string, string[], number];
        const f = this.forming.get(key);
        if (!f) throw new ActorDiedError(`collective group '${name}' was not opened on actor ${actor.actorId}`, { context: { actorId: actor.actorId } });
        this.forming.delete(key);
        let group: CollectiveGroup;
        try {
          group = new CollectiveGroup(name, f.backend, f.rank, f.size, await f.endpoint.connect(rendezvous, timeoutMs));
        } catch (err) {
          await f.endpoint.close().catch(() => undefined);
          throw err;
        }
        try {
          joinGroup(actor.target, group);
        } catch (err) {
          await group.close(err as Error);
          throw err;
        }
        return { value: encode(null) };
      }
      case 'collective.close': {
        const f = this.forming.get(key);
        this.forming.delete(key);
        await f?.endpoint.close().catch(() => undefined);
        await leaveGroup(actor.target, name)?.close(new Error(`the driver destroyed collective group '${name}'`));
        return { value: encode(null) };
      }
      default:
        throw new MethodNotFoundError(`unknown runtime request ${c.method}`, { context: { actorId: actor.actorId, method: c.method } });
    }
  }

  private ownerStreamOpened(owner: string): void {
    const o = this.owners.get(owner);
    if (!o) {
      this.owners.set(owner, { streams: 1 });
      return;
    }
    o.streams++;
    if (o.drop) clearTimeout(o.drop);
    o.drop = undefined;
  }

  /** The owner's objects go with its last stream: at once when it ended cleanly, after a grace period when it broke. */
  private ownerStreamClosed(owner: string, clean: boolean): void {
    const o = this.owners.get(owner);
    if (!o || --o.streams > 0) return;
    const drop = (): void => {
      this.owners.delete(owner);
      const n = this.objects.store.deleteOwner(owner);
      if (n > 0) this.options.log.debug({ owner, objects: n }, 'dropped the objects of a caller that went away');
    };
    if (clean) drop();
    else {
      o.drop = setTimeout(drop, OWNER_GRACE_MS);
      o.drop.unref();
    }
  }

  private unknownActor(actorId: string, method: string): TroupeError {
    const cause = this.dead.get(actorId);
    if (cause) return ActorDiedError.of(actorId, cause, method);
    return new ActorDiedError(`call to ${method} failed: actor ${actorId} does not live in this process`, {
      context: { actorId, method },
    });
  }
}

/**
 * One wire call as the actor runtime takes it: arguments pulled as needed, large results kept
 * here. A class, not a literal with closures: one is made per call on the hot path.
 */
class WireRequest implements CallRequest {
  reply: Reply | undefined = undefined;

  constructor(
    private readonly objects: ObjectPlane,
    private readonly c: WireCall,
    private readonly owner: string,
    private readonly tempIds: { next: number },
  ) {}

  get method(): string {
    return this.c.method;
  }

  args(): unknown[] | Promise<unknown[]> {
    const c = this.c;
    if (c.argsObject?.objectId) return this.objects.fetch(c.argsObject, `the arguments of ${c.method}`) as Promise<unknown[]>;
    const before = decodedRefCount();
    const args = decode<unknown[]>(c.args, `the arguments of ${c.method}`);
    return decodedRefCount() === before ? args : this.objects.resolveRefs(args);
  }

  result(value: unknown): Outcome {
    const c = this.c;
    if (!hasLargeParts(value)) return { value: encode(value, `the result of ${c.method}`) };
    if (c.storeAs) {
      // Kept for a ref: a snapshot, so later changes to the returned arrays do not show.
      return { stored: this.objects.hold(c.storeAs, ObjectPlane.snapshot(value), { owner: this.owner }) };
    }
    // Pulled once by the caller, straight from the method's own memory.
    const id = `r.${this.owner}.${(this.tempIds.next++).toString(36)}`;
    return { stored: this.objects.hold(id, split(value), { owner: this.owner, once: true }) };
  }
}

/** Accepts file URLs, absolute or relative paths, and bare package names. */
function toImportable(spec: string): string {
  if (spec.startsWith('file:') || spec.startsWith('data:') || spec.startsWith('node:')) return spec;
  if (path.isAbsolute(spec) || spec.startsWith('./') || spec.startsWith('../')) return pathToFileURL(path.resolve(spec)).href;
  return spec;
}
