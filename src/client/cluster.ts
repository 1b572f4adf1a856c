import { connectivityState, status as grpcStatus, type Client, type ClientDuplexStream } from '@grpc/grpc-js';

import path from 'node:path';
import {
  ActorDiedError,
  HeadUnavailableError,
  InvalidArgumentError,
  ShutDownError,
  TroupeError,
  type DeathCause,
} from '../common/errors.js';
import { encode } from '../transport/codec.js';
import { callUnary, makeClient } from '../transport/grpc.js';
import { services } from '../transport/protos.js';
import { ActorConnection } from './actor-connection.js';
import { ActorRoute, type RouteHost } from './actor-route.js';
import { MuxClient } from '../transport/mux-stream.js';
import { resourceRequest, validateActorOptions, type ActorOptions } from './options.js';
import type { ActorClassType, CallProxy } from './types.js';
import { toActorInfo, toClusterStatus, type ActorInfo, type ClusterStatus, type WireActorInfo } from './status.js';

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
  private readonly head: Client;
  private readonly connections = new Map<string, ActorConnection>();
  private readonly routes = new Map<string, ActorRoute>();
  private attachment: ClientDuplexStream<object, object> | undefined;
  private attachDelayMs = 50;
  private readonly creations: MuxClient<object, { actor: WireActorInfo }>;
  private closed = false;

  constructor(private readonly init: ClusterInit) {
    this.address = init.address;
    this.token = init.token;
    this.namespace = init.namespace;
    this.headTimeoutMs = init.headTimeoutMs ?? 30_000;
    this.head = makeClient(services.HeadService, init.address, init.token, init.maxMessageBytes);
    this.creations = new MuxClient(this.head, 'CreateActors', 'head', init.address, init.maxMessageBytes);
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
    const reply = await this.headCall<{ actor: WireActorInfo }>('GetActor', { name, namespace: options.namespace ?? this.namespace });
    return new ActorHandle<C>(this, toActorInfo(reply.actor));
  }

  /** Nodes with their resources, and actors by state. */
  async status(): Promise<ClusterStatus> {
    this.assertOpen();
    return toClusterStatus(await this.headCall('GetClusterStatus', {}));
  }

  /** Closes connections; for an embedded cluster also stops its head, worker and actors. */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
    this.attachment?.end();
    this.attachment = undefined;
    this.creations.close();
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
    const spec = {
      module,
      exportName,
      args: encode(args, 'constructor arguments'),
      resources: { amounts: resources },
      name: options.name ?? '',
      namespace: options.namespace ?? this.namespace,
      maxConcurrency: options.maxConcurrency ?? 1,
      isolation: options.isolation ?? 'process',
      schedulingStrategy: options.schedulingStrategy ?? 'DEFAULT',
      nodeAffinity: options.nodeAffinity ? { nodeId: options.nodeAffinity.nodeId, soft: options.nodeAffinity.soft ?? false } : null,
      lifetime: options.lifetime ?? '',
      maxRestarts: options.maxRestarts ?? 0,
      maxTaskRetries: options.maxTaskRetries ?? 0,
      env: options.env ?? {},
      execArgv: this.init.execArgv,
    };
    await this.headReady();
    const reply = await this.creations.request({ spec, ownerId: this.init.ownerId }, `the spawn request for ${exportName} (with its constructor arguments)`);
    return toActorInfo(reply.actor);
  }

  /** @internal */
  async killActor(actorId: string): Promise<void> {
    this.assertOpen();
    await this.headCall('KillActor', { actorId });
  }

  /** @internal */
  async actorInfo(actorId: string): Promise<ActorInfo> {
    this.assertOpen();
    const reply = await this.headCall<{ actor: WireActorInfo }>('GetActor', { actorId });
    return toActorInfo(reply.actor);
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

  /** @internal */
  invoke(route: ActorRoute, method: string, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new ShutDownError(`cannot call ${method}: the cluster handle was shut down`));
    let bytes: Buffer;
    try {
      bytes = encode(args, `the arguments of ${method}`);
    } catch (err) {
      return Promise.reject(err);
    }
    return route.call(method, bytes);
  }

  private readonly routeHost: RouteHost = {
    connection: (address) => {
      let conn = this.connections.get(address);
      if (!conn) {
        conn = new ActorConnection(address, this.token, this.init.maxMessageBytes);
        this.connections.set(address, conn);
      }
      return conn;
    },
    awaitRestart: async (actorId, knownRestarts) => {
      const reply = await callUnary<object, { actor: WireActorInfo }>(
        this.head,
        'GetActor',
        { actorId, waitForRestartMs: RESTART_WAIT_MS, knownNumRestarts: knownRestarts },
        'head',
        this.address,
        RESTART_WAIT_MS + 10_000,
      );
      return toActorInfo(reply.actor);
    },
  };

  /** Keeps the driver attached to the head, so its non-detached actors die with it. */
  private attach(): void {
    if (this.closed) return;
    const stream = (this.head as unknown as { AttachDriver: () => ClientDuplexStream<object, object> }).AttachDriver();
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
  private async headCall<Rep>(method: string, request: object): Promise<Rep> {
    const deadline = Date.now() + this.headTimeoutMs;
    for (;;) {
      await this.headReady(deadline);
      try {
        return await callUnary<object, Rep>(this.head, method, request, 'head', this.address, Math.max(1000, deadline - Date.now()));
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

function normalizeModule(module: URL | string): string {
  if (module instanceof URL) return module.href;
  if (module.startsWith('file:')) return module;
  if (path.isAbsolute(module)) return module;
  if (module.startsWith('./') || module.startsWith('../')) return path.resolve(module);
  return module;
}

export type { DeathCause };
