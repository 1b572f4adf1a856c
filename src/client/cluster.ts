import { connectivityState, status as grpcStatus, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import type { ActorServiceClient } from '../generated/troupe/v1/ActorService.js';
import type { CreateActorReply__Output } from '../generated/troupe/v1/CreateActorReply.js';
import type { CreateActorRequest } from '../generated/troupe/v1/CreateActorRequest.js';
import type { DriverMessage } from '../generated/troupe/v1/DriverMessage.js';
import type { DriverServiceClient } from '../generated/troupe/v1/DriverService.js';
import type { HeadMessage__Output } from '../generated/troupe/v1/HeadMessage.js';
import type { PlacementGroupReply__Output } from '../generated/troupe/v1/PlacementGroupReply.js';
import type { PlacementGroupServiceClient } from '../generated/troupe/v1/PlacementGroupService.js';

import path from 'node:path';
import {
  ActorDiedError,
  HeadUnavailableError,
  InvalidArgumentError,
  ShutDownError,
  TroupeError,
  type DeathCause,
} from '../common/errors.js';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { decode } from '../objects/codec.js';
import { ObjectPlane } from '../objects/plane.js';
import { ObjectTable, type EncodedArgs, type OwnedObject, type WaitOptions } from '../objects/owner.js';
import { ObjectRef } from '../objects/ref.js';
import { callUnary, makeClient, type ReplyOf, type RequestOf, type UnaryName } from '../transport/grpc.js';
import { troupeV1 } from '../transport/protos.js';
import { ActorConnection, type OutgoingCall } from './actor-connection.js';
import { ActorRoute, type RouteHost } from './actor-route.js';
import { MuxClient } from '../transport/mux-stream.js';
import { resourceRequest, validateActorOptions, type ActorOptions } from './options.js';
import type { ActorClassType, CallProxy, RefProxy } from './types.js';
import {
  present,
  toActorInfo,
  toClusterStatus,
  toPlacementGroupInfo,
  type ActorInfo,
  type ClusterStatus,
  type PlacementGroupInfo,
} from './status.js';
import { toWireActorSpec } from '../common/actor-spec.js';
import { normalizeModule } from '../common/module-specifier.js';
import { validateCollectiveOptions, type CollectiveGroupOptions } from './collective-options.js';
import { PlacementGroup, validateGroupOptions as validatePgOptions, wireBundles, type GroupHost, type GroupOp, type PlacementGroupOptions } from './placement-group.js';

/** How long a caller whose stream broke waits for the head to say the actor restarted or died. */
const RESTART_WAIT_MS = 30_000;

/** Resources the embedded cluster owns and stops on shutdown. */
export interface EmbeddedParts {
  stop(): Promise<void>;
}

export interface ClusterInit {
  address: string;
  token: string;
  namespace: string;
  maxMessageBytes?: number;
  embedded?: EmbeddedParts;
  /** Loader flags actor processes need (e.g. tsx), inherited from this process. */
  execArgv: string[];
  ownerId: string;
  /** How long calls that need the head wait for it while it is down. Default 30 s. */
  headTimeoutMs?: number;
}

/** A connection to a Troupe cluster: spawn actors, find named ones, read status, shut down. */
export class Cluster {
  readonly address: string;
  readonly token: string;
  readonly namespace: string;
  private readonly headTimeoutMs: number;
  /** The head's services, on one shared channel: actors (and its readiness), groups, this driver. */
  private readonly head: ActorServiceClient;
  private readonly groups: PlacementGroupServiceClient;
  private readonly driver: DriverServiceClient;
  private readonly connections = new Map<string, ActorConnection>();
  private readonly routes = new Map<string, ActorRoute>();
  private attachment: ClientDuplexStream<DriverMessage, HeadMessage__Output> | undefined;
  private attachDelayMs = 50;
  private readonly creations: MuxClient<CreateActorRequest, CreateActorReply__Output>;
  private readonly groupOps: MuxClient<GroupOp, PlacementGroupReply__Output>;
  /** The objects this driver owns (refs it handed out), and its own data plane. */
  private readonly objects: ObjectTable;
  private argsSeq = 0;
  private closed = false;

  constructor(private readonly init: ClusterInit) {
    this.address = init.address;
    this.token = init.token;
    this.namespace = init.namespace;
    this.headTimeoutMs = init.headTimeoutMs ?? 30_000;
    const head = makeClient(troupeV1.ActorService, init.address, init.token, init.maxMessageBytes);
    const channel = head.getChannel();
    this.head = head;
    this.groups = makeClient(troupeV1.PlacementGroupService, init.address, init.token, init.maxMessageBytes, channel);
    this.driver = makeClient(troupeV1.DriverService, init.address, init.token, init.maxMessageBytes, channel);
    const groups = this.groups;
    this.creations = new MuxClient<CreateActorRequest, CreateActorReply__Output>(
      () => head.CreateActors(),
      'CreateActors',
      'head',
      init.address,
      init.maxMessageBytes,
    );
    this.groupOps = new MuxClient<GroupOp, PlacementGroupReply__Output>(
      () => groups.PlacementGroupOps(),
      'PlacementGroupOps',
      'head',
      init.address,
      init.maxMessageBytes,
    );
    const plane = new ObjectPlane({
      token: init.token,
      // Served on the interface this process uses to reach the head, so the cluster's nodes can reach it too.
      host: init.embedded ? '127.0.0.1' : () => localAddressTowards(init.address),
    });
    this.objects = new ObjectTable(plane, init.ownerId, {
      freeRemote: (holder, ids) => this.connections.get(holder)?.free(ids),
    });
    this.attach();
  }

  /** True when `connect()` started this cluster inside the current process. */
  get embedded(): boolean {
    return this.init.embedded !== undefined;
  }

  /**
   * A class that actors can be spawned from. `module` is a file URL (`new URL('./x.js', import.meta.url)`),
   * a path, or a package name; `exportName` names the exported class.
   */
  actorClass<C extends ActorClassType>(module: URL | string, exportName: string): ActorClass<C> {
    if (!(module instanceof URL) && (typeof module !== 'string' || module.length === 0)) {
      throw new InvalidArgumentError('actorClass needs a module URL, path or package name', { context: { field: 'module' } });
    }
    if (typeof exportName !== 'string' || exportName.length === 0) {
      throw new InvalidArgumentError('actorClass needs the name of the exported class', { context: { field: 'exportName' } });
    }
    return new ActorClass<C>(this, normalizeModule(module), exportName);
  }

  /** A handle to a live named actor, created by any driver. */
  async getActor<C extends ActorClassType>(name: string, options: { namespace?: string } = {}): Promise<ActorHandle<C>> {
    this.assertOpen();
    const reply = await this.headCall(this.head, 'GetActor', { name, namespace: options.namespace ?? this.namespace });
    return new ActorHandle<C>(this, toActorInfo(present(reply.actor, 'actor')));
  }

  /**
   * Reserves resource bundles all at once or not at all, placed by `strategy` (PACK by default).
   * Resolves at once with the group, CREATED or PENDING (then `ready()` waits for it); rejects when
   * the cluster can never hold it, naming the strategy and what is missing.
   */
  async placementGroup(bundles: Array<Record<string, number>>, options?: PlacementGroupOptions): Promise<PlacementGroup> {
    this.assertOpen();
    const opts = validatePgOptions(options);
    const reply = await this.groupOp({
      create: {
        bundles: wireBundles(bundles),
        strategy: opts.strategy ?? 'PACK',
        name: opts.name ?? '',
        namespace: opts.namespace ?? this.namespace,
        lifetime: opts.lifetime ?? '',
        ownerId: this.init.ownerId,
      },
    });
    return new PlacementGroup(this.groupHost, toPlacementGroupInfo(present(reply.group, 'group')));
  }

  /** Every placement group the head knows, removed ones included. */
  async placementGroups(): Promise<PlacementGroupInfo[]> {
    return (await this.status()).placementGroups;
  }

  /** A handle to a group by name (or id), created by any driver. */
  async getPlacementGroup(nameOrId: string, options: { namespace?: string } = {}): Promise<PlacementGroup> {
    this.assertOpen();
    const byId = nameOrId.startsWith('pg-');
    const reply = await this.groupOp({
      get: { placementGroupId: byId ? nameOrId : '', name: byId ? '' : nameOrId, namespace: options.namespace ?? this.namespace, waitReadyMs: 0 },
    });
    return new PlacementGroup(this.groupHost, toPlacementGroupInfo(present(reply.group, 'group')));
  }

  private readonly groupHost: GroupHost = { groupOp: (op) => this.groupOp(op) };

  /** Placement group operations share one stream to the head (a unary RPC each would cap them near 1k/s). */
  private async groupOp(op: GroupOp): Promise<PlacementGroupReply__Output> {
    this.assertOpen();
    await this.headReady();
    return this.groupOps.request(op, 'the placement group request');
  }

  /** Nodes with their resources, and actors by state. */
  async status(): Promise<ClusterStatus> {
    this.assertOpen();
    return toClusterStatus(await this.headCall(this.head, 'GetClusterStatus', {}));
  }

  /**
   * Stores a value in this driver and returns a ref to it, to pass to any number of calls: each
   * callee pulls it from here. Large arrays are copied once, so changing them afterwards does not
   * change the object.
   */
  put<T>(value: T): Promise<ObjectRef<T>> {
    if (this.closed) return Promise.reject(new ShutDownError('cannot put: the cluster handle was shut down'));
    return this.objects.put(value);
  }

  /** The value of a ref (or of each of several), once ready; rejects with the call's error if it failed. */
  get<T>(ref: ObjectRef<T>, options?: { timeoutMs?: number }): Promise<T>;
  get<T>(refs: readonly ObjectRef<T>[], options?: { timeoutMs?: number }): Promise<T[]>;
  get<T>(refs: ObjectRef<T> | readonly ObjectRef<T>[], options: { timeoutMs?: number } = {}): Promise<T | T[]> {
    if (this.closed) return Promise.reject(new ShutDownError('cannot get: the cluster handle was shut down'));
    if (Array.isArray(refs)) return Promise.all((refs as readonly ObjectRef<T>[]).map((r) => this.objects.get(r, options)));
    return this.objects.get(refs as ObjectRef<T>, options);
  }

  /**
   * Waits until `numReturns` (default 1) of `refs` are ready (or failed), or `timeoutMs` passes.
   * Resolves with [ready, notReady], as Ray's `wait`: at most `numReturns` refs in the first list.
   */
  wait<T>(refs: readonly ObjectRef<T>[], options?: WaitOptions): Promise<[ObjectRef<T>[], ObjectRef<T>[]]> {
    if (this.closed) return Promise.reject(new ShutDownError('cannot wait: the cluster handle was shut down'));
    return this.objects.wait(refs, options);
  }

  /** Frees the values of these refs now, wherever they live; later gets of them fail with ObjectFreedError. */
  free(refs: ObjectRef | readonly ObjectRef[]): void {
    this.objects.free(Array.isArray(refs) ? refs : [refs as ObjectRef]);
  }

  /**
   * Forms a collective group of actors: rank i is `members[i]`. Each member's process opens an
   * endpoint of the backend ('tcp' by default), the members connect to each other, and then,
   * inside their methods, `getCollectiveGroup(name)` gives them allreduce, broadcast and the rest.
   */
  async collectiveGroup(members: readonly ActorHandle<ActorClassType>[], options: CollectiveGroupOptions = {}): Promise<CollectiveGroupHandle> {
    this.assertOpen();
    const opts = validateGroupOptions(members, options);
    const { name, backend, timeoutMs } = opts;
    const token = randomBytes(24).toString('base64url');
    const routes = members.map((m) => m.routeForRuntime());
    const ask = (i: number, what: string, args: unknown[]): Promise<unknown> =>
      this.invoke(routes[i]!, `~troupe.collective.${what}`, args).catch((err: unknown) => {
        if (err instanceof TroupeError) err.context.rank ??= String(i);
        throw err;
      });
    const closeAll = (): Promise<unknown> => Promise.allSettled(routes.map((_, i) => ask(i, 'close', [name])));
    try {
      const rendezvous = (await Promise.all(routes.map((_, i) => ask(i, 'open', [name, i, routes.length, backend, token])))) as string[];
      await Promise.all(routes.map((_, i) => ask(i, 'connect', [name, rendezvous, timeoutMs])));
    } catch (err) {
      await closeAll();
      throw err;
    }
    return {
      name,
      backend,
      size: members.length,
      members: [...members],
      destroy: async () => {
        await closeAll();
      },
    };
  }

  /** Objects this driver owns and bytes held in its own memory for them. */
  objectStats(): { owned: number; heldBytes: number } {
    return { owned: this.objects.stats().objects, heldBytes: this.objects.plane.stats().bytes };
  }

  /** Closes connections; for an embedded cluster also stops its head, worker and actors. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.objects.close();
    await this.objects.plane.close();
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
    this.attachment?.end();
    this.attachment = undefined;
    this.creations.close();
    this.groupOps.close();
    this.driver.close();
    this.groups.close();
    this.head.close();
    await this.init.embedded?.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** @internal */
  async createActor(module: string, exportName: string, args: unknown[], options: ActorOptions): Promise<ActorInfo> {
    this.assertOpen();
    const resources = resourceRequest(options);
    // Refs among the constructor arguments are resolved by the new actor's process, like a call's.
    let encoded = this.objects.encodeArgs(args, 'constructor arguments');
    const refs = encoded.refs;
    if (encoded.parts) {
      throw new InvalidArgumentError(
        `constructor arguments of ${exportName} hold arrays of 64 KiB or more; put them with cluster.put(...) and pass the ref instead`,
        { context: { field: 'args' } },
      );
    }
    this.objects.pin(refs);
    try {
      if (refs.some((o) => o.status !== 'ready')) {
        for (const o of refs) await this.objects.waitReady(o, undefined, 'spawn');
        encoded = this.objects.encodeArgs(args, 'constructor arguments');
      }
      return await this.createActorEncoded(module, exportName, encoded.envelope, resources, options);
    } finally {
      this.objects.unpin(refs);
    }
  }

  private async createActorEncoded(
    module: string,
    exportName: string,
    args: Buffer,
    resources: Record<string, number>,
    options: ActorOptions,
  ): Promise<ActorInfo> {
    const spec = toWireActorSpec(options, {
      module,
      exportName,
      args,
      resources,
      namespace: this.namespace,
      execArgv: this.init.execArgv,
    });
    await this.headReady();
    const reply = await this.creations.request({ spec, ownerId: this.init.ownerId }, `the spawn request for ${exportName} (with its constructor arguments)`);
    return toActorInfo(present(reply.actor, 'actor'));
  }

  /** @internal */
  async killActor(actorId: string): Promise<void> {
    this.assertOpen();
    await this.headCall(this.head, 'KillActor', { actorId });
  }

  /** @internal */
  async actorInfo(actorId: string): Promise<ActorInfo> {
    this.assertOpen();
    const reply = await this.headCall(this.head, 'GetActor', { actorId });
    return toActorInfo(present(reply.actor, 'actor'));
  }

  /** @internal */
  invokeToRef(route: ActorRoute, method: string, args: unknown[]): ObjectRef {
    const { ref, obj } = this.objects.create();
    void this.invoke(route, method, args, obj).catch(() => undefined); // the ref carries the error
    return ref;
  }

  /** @internal The shared view of one actor for every handle this driver holds to it. */
  route(info: ActorInfo): ActorRoute {
    let route = this.routes.get(info.actorId);
    if (!route) {
      route = new ActorRoute(info, this.routeHost);
      this.routes.set(info.actorId, route);
    }
    return route;
  }

  /**
   * @internal Calls `method`; with `into`, the result is kept where it was computed and `into`
   * (the object of a ref) learns where. Calls whose arguments hold refs that are not ready yet
   * wait for them, and later calls to the same actor queue behind, so calls still run in the order made.
   */
  invoke(route: ActorRoute, method: string, args: unknown[], into?: OwnedObject): Promise<unknown> {
    const result = this.invokeInner(route, method, args, into);
    if (into) result.catch((err: unknown) => into.settle(undefined, err));
    return result;
  }

  private invokeInner(route: ActorRoute, method: string, args: unknown[], into: OwnedObject | undefined): Promise<unknown> {
    if (this.closed) return Promise.reject(new ShutDownError(`cannot call ${method}: the cluster handle was shut down`));
    const what = `the arguments of ${method}`;
    let enc: EncodedArgs;
    try {
      enc = this.objects.encodeArgs(args, what);
    } catch (err) {
      return Promise.reject(err);
    }
    const refs = enc.refs;
    this.objects.pin(refs);
    const needsPlane = enc.parts !== undefined && !this.objects.plane.started;
    if (route.chained === 0 && !needsPlane && refs.every((o) => o.status === 'ready')) return this.send(route, method, enc, into);

    route.chained++;
    const prev = route.sendChain ?? Promise.resolve();
    let issued!: () => void;
    const tail = new Promise<void>((resolve) => (issued = resolve));
    route.sendChain = tail;
    void tail.then(() => {
      route.chained--;
      if (route.sendChain === tail) route.sendChain = undefined;
    });
    return prev.then(async () => {
      try {
        for (const o of refs) await this.objects.waitReady(o, undefined, `call to ${method}: argument`);
        if (enc.parts) await this.objects.plane.address();
        // Encoded again: the refs now carry where their values are.
        const ready = this.objects.encodeArgs(args, what);
        return this.send(route, method, { ...ready, refs }, into);
      } catch (err) {
        this.objects.unpin(refs);
        throw err;
      } finally {
        issued();
      }
    });
  }

  /** Sends an encoded call now (synchronously queued on its stream) and turns what comes back into a value. */
  private send(route: ActorRoute, method: string, enc: EncodedArgs, into: OwnedObject | undefined): Promise<unknown> {
    const plane = this.objects.plane;
    let out: OutgoingCall;
    let argsObject: string | undefined;
    if (enc.parts) {
      // Large arrays stay in this process until the call is over; the callee pulls them.
      argsObject = `${this.init.ownerId}.args.${(this.argsSeq++).toString(36)}`;
      out = { args: EMPTY, argsObject: plane.hold(argsObject, enc.parts, { owner: 'self' }) };
    } else {
      out = { args: enc.envelope };
    }
    if (into) out.storeAs = into.id;
    const done = (): void => {
      this.objects.unpin(enc.refs);
      if (argsObject) plane.store.delete(argsObject);
    };
    return route.call(method, out).then(
      ({ outcome, holder }) => {
        done();
        if (into) {
          if ('value' in outcome) into.settle({ kind: 'inline', envelope: outcome.value });
          else into.settle({ kind: 'stored', location: outcome.stored, holder });
          return undefined;
        }
        if ('value' in outcome) return decode(outcome.value, `the result of ${method}`);
        return plane.fetch(outcome.stored, `the result of ${method}`);
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
  }

  private readonly routeHost: RouteHost = {
    connection: (address) => {
      let conn = this.connections.get(address);
      if (!conn) {
        conn = new ActorConnection(address, this.token, this.init.maxMessageBytes, this.init.ownerId);
        this.connections.set(address, conn);
      }
      return conn;
    },
    awaitRestart: async (actorId, knownRestarts) => {
      const reply = await callUnary(
        this.head,
        'GetActor',
        { actorId, waitForRestartMs: RESTART_WAIT_MS, knownNumRestarts: knownRestarts },
        'head',
        this.address,
        RESTART_WAIT_MS + 10_000,
      );
      return toActorInfo(present(reply.actor, 'actor'));
    },
  };

  /** Keeps the driver attached to the head, so its non-detached actors die with it. */
  private attach(): void {
    if (this.closed) return;
    const stream = this.driver.AttachDriver();
    this.attachment = stream;
    stream.write({ ownerId: this.init.ownerId });
    stream.on('data', () => undefined);
    stream.on('metadata', () => {
      this.attachDelayMs = 50;
    });
    const again = (): void => {
      if (this.attachment !== stream) return;
      this.attachment = undefined;
      if (this.closed) return;
      // The head restarts or the network blinked: attach again, backing off.
      this.attachDelayMs = Math.min(this.attachDelayMs * 2, 5000);
      const t = setTimeout(() => this.attach(), this.attachDelayMs);
      t.unref();
    };
    stream.on('error', (err: { code?: number }) => {
      // A refused token does not heal by retrying; calls report it to the user.
      if (err.code === grpcStatus.UNAUTHENTICATED) this.attachment = undefined;
      else again();
    });
    stream.on('end', again);
  }

  /**
   * An idempotent call to the head. While the head is down (restarting), it waits for it up to
   * `headTimeoutMs`, then fails with HeadUnavailableError saying what to do.
   */
  private async headCall<C extends Client, M extends UnaryName<C>>(
    client: C,
    method: M,
    request: RequestOf<C, M>,
  ): Promise<ReplyOf<C, M>> {
    const deadline = Date.now() + this.headTimeoutMs;
    for (;;) {
      await this.headReady(deadline);
      try {
        return await callUnary(client, method, request, 'head', this.address, Math.max(1000, deadline - Date.now()));
      } catch (err) {
        if (!(err instanceof TroupeError) || err.code !== 'HEAD_UNAVAILABLE' || Date.now() >= deadline) throw err;
      }
    }
  }

  /** Resolves when the head's channel is connected, waiting at most until `deadline`. */
  private headReady(deadline = Date.now() + this.headTimeoutMs): Promise<void> {
    if (this.head.getChannel().getConnectivityState(true) === connectivityState.READY) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.head.waitForReady(deadline, (err?: Error) => {
        if (!err) return resolve();
        reject(
          new HeadUnavailableError(
            `the head at ${this.address} did not answer within ${Math.round(this.headTimeoutMs / 1000)} s: it is down or restarting. ` +
              'Actors keep serving direct calls meanwhile; restart the head (with the same --state to keep the cluster) and retry',
          ),
        );
      });
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new ShutDownError('the cluster handle was shut down; call connect() again');
  }
}

/** A class bound to a cluster; `spawn` creates actors from it. */
export class ActorClass<C extends ActorClassType> {
  constructor(
    private readonly cluster: Cluster,
    readonly module: string,
    readonly exportName: string,
  ) {}

  /** Places and constructs an actor; resolves when its constructor has returned. */
  async spawn(args: ConstructorParameters<C>, options?: ActorOptions): Promise<ActorHandle<C>> {
    const opts = validateActorOptions(options);
    if (!Array.isArray(args)) {
      throw new InvalidArgumentError('spawn takes the constructor arguments as an array, e.g. spawn([10])', { context: { field: 'args' } });
    }
    const info = await this.cluster.createActor(this.module, this.exportName, args, opts);
    return new ActorHandle<C>(this.cluster, info);
  }
}

/** A typed reference to a live actor. `call.method(...)` calls it directly, without the head. */
export class ActorHandle<C extends ActorClassType> {
  readonly call: CallProxy<C>;
  /** `ref.method(...)` runs the method and returns an ObjectRef to its result at once; the value stays where it was computed. */
  readonly ref: RefProxy<C>;
  private readonly route: ActorRoute;

  constructor(
    private readonly cluster: Cluster,
    info: ActorInfo,
  ) {
    this.route = cluster.route(info);
    const cache = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    this.call = new Proxy({} as CallProxy<C>, {
      get: (_target, prop) => {
        // Not thenable, so `await handle.call` is not mistaken for a promise.
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        let fn = cache.get(prop);
        if (!fn) {
          fn = (...args: unknown[]) => this.cluster.invoke(this.route, prop, args);
          cache.set(prop, fn);
        }
        return fn;
      },
    });
    const refCache = new Map<string, (...args: unknown[]) => ObjectRef>();
    this.ref = new Proxy({} as RefProxy<C>, {
      get: (_target, prop) => {
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        let fn = refCache.get(prop);
        if (!fn) {
          fn = (...args: unknown[]) => this.cluster.invokeToRef(this.route, prop, args);
          refCache.set(prop, fn);
        }
        return fn;
      },
    });
  }

  get id(): string {
    return this.route.current.actorId;
  }
  get name(): string | undefined {
    return this.route.current.name || undefined;
  }
  get namespace(): string {
    return this.route.current.namespace;
  }
  /** The node it runs on, as last seen by this driver (it changes when the actor restarts elsewhere). */
  get nodeId(): string {
    return this.route.current.nodeId;
  }
  get pid(): number {
    return this.route.current.pid;
  }

  /** @internal */
  routeForRuntime(): ActorRoute {
    return this.route;
  }

  /** Current state from the head (ALIVE, RESTARTING, DEAD with its cause, ...). */
  state(): Promise<ActorInfo> {
    return this.cluster.actorInfo(this.id);
  }

  /** Kills the actor at once, without restarting it; calls in flight fail with ActorDiedError (killed by the user). */
  async kill(): Promise<void> {
    this.route.markKilled();
    await this.cluster.killActor(this.id);
  }
}

const EMPTY = Buffer.alloc(0);

export type { CollectiveGroupOptions } from './collective-options.js';

/** A group formed by `cluster.collectiveGroup`. */
export interface CollectiveGroupHandle {
  readonly name: string;
  readonly backend: string;
  readonly size: number;
  readonly members: readonly ActorHandle<ActorClassType>[];
  /** Every member leaves the group; collectives pending in it fail. */
  destroy(): Promise<void>;
}

function validateGroupOptions(members: readonly unknown[], options: CollectiveGroupOptions): Required<CollectiveGroupOptions> {
  return validateCollectiveOptions(members, options, (m): m is ActorHandle<ActorClassType> => m instanceof ActorHandle);
}

/** The local address this process uses to reach `address` (host:port), found with one TCP connection. */
function localAddressTowards(address: string): Promise<string> {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!m) return Promise.resolve('127.0.0.1');
  return new Promise((resolve) => {
    const socket = net.connect({ host: m[1]!, port: Number(m[2]) });
    const done = (host: string): void => {
      socket.destroy();
      resolve(host);
    };
    socket.once('connect', () => done(socket.localAddress ?? '127.0.0.1'));
    socket.once('error', () => done('127.0.0.1'));
    socket.setTimeout(5000, () => done('127.0.0.1'));
  });
}

export type { DeathCause };
