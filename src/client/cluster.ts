import { createHash } from 'node:crypto';
import { InvalidArgumentError, ShutDownError, type ActorScope, type DeathCause } from '../common/index.js';
import { normalizeModule } from '../common/index.js';
import { ObjectPlane } from '../objects/index.js';
import { ObjectTable, type WaitOptions } from '../objects/index.js';
import type { ObjectRef } from '../objects/index.js';
import { ActorClass, ActorHandle, type HandleParts } from './actor-handle.js';
import type { CollectiveGroupOptions } from './collective-options.js';
import { formCollectiveGroup, type CollectiveGroupHandle } from './collective-setup.js';
import { HeadLink, localAddressTowards } from './head-link.js';
import { Invoker } from './invoker.js';
import {
  PlacementGroup,
  validateGroupOptions as validatePgOptions,
  wireBundles,
  type GroupHost,
  type PlacementGroupOptions,
} from './placement-group.js';
import {
  toPlacementGroupInfo,
  present,
  type ActorInfo,
  type ClusterStatus,
  type PlacementGroupInfo,
} from './status.js';
import type { TaskOptions } from './task-options.js';
import { remoteFunction, type RemoteFunction, type TaskFunction } from './tasks.js';
import type { ActorClassType } from './types.js';

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
  /** The object plane to hold this handle's objects on (an actor host's own); default: one of its own. */
  plane?: ObjectPlane;
  /** Set for the cluster handle of an actor: the actor it belongs to (its owner id is the actor's). */
  actor?: ActorScope;
  /** The job of this process ('' outside one), given to the actors it spawns. */
  jobId?: string;
}

/**
 * A cluster's id as handles carry it: derived from its token (one cluster, one token), so every
 * process of a cluster knows it without asking, and it says nothing of the token.
 */
export function clusterIdOf(token: string): string {
  return createHash('sha256').update('troupe cluster id\0').update(token).digest('hex').slice(0, 16);
}

/** Open cluster handles of this process, oldest first (handles decoded here bind to one of them). */
const open = new Set<Cluster>();

/** The open cluster handles of this process with this cluster id, newest first. */
export function openClusters(): Cluster[] {
  return [...open].reverse();
}

/**
 * A connection to a Troupe cluster: spawn actors, find named ones, read status, shut down.
 * The work is done by its parts: the head link (head-link.ts), the call path (invoker.ts), and the
 * objects this driver owns (refs it handed out) with its own data plane.
 */
export class Cluster {
  readonly address: string;
  readonly token: string;
  readonly namespace: string;
  /** Which cluster this is (see clusterIdOf): handles from another cluster are refused. */
  readonly clusterId: string;
  /** The node this process runs on, when known (an actor's; a driver's, found at connect). */
  nodeId = '';
  private readonly link: HeadLink;
  private readonly invoker: Invoker;
  private readonly objects: ObjectTable;
  private readonly parts: HandleParts;
  private closed = false;

  constructor(private readonly init: ClusterInit) {
    this.address = init.address;
    this.token = init.token;
    this.namespace = init.namespace;
    this.clusterId = clusterIdOf(init.token);
    this.nodeId = init.actor?.nodeId ?? '';
    const isClosed = (): boolean => this.closed;
    this.link = new HeadLink({ ...init, isClosed });
    const plane =
      init.plane ??
      new ObjectPlane({
        token: init.token,
        // Served on the interface this process uses to reach the head, so the cluster's nodes can reach it too.
        host: init.embedded ? '127.0.0.1' : () => localAddressTowards(init.address),
      });
    this.objects = new ObjectTable(plane, init.ownerId);
    this.invoker = new Invoker(this.link, this.objects, { ...init, isClosed });
    this.parts = { invoker: this.invoker, link: this.link, clusterId: this.clusterId };
    open.add(this);
  }

  /** The actor this cluster handle belongs to (inside an actor's process), or undefined in a driver. */
  get actor(): ActorScope | undefined {
    return this.init.actor;
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
      throw new InvalidArgumentError('actorClass needs a module URL, path or package name', {
        context: { field: 'module' },
      });
    }
    if (typeof exportName !== 'string' || exportName.length === 0) {
      throw new InvalidArgumentError('actorClass needs the name of the exported class', {
        context: { field: 'exportName' },
      });
    }
    return new ActorClass<C>(this.parts, normalizeModule(module), exportName);
  }

  /**
   * A remote function (Ray's task): the function `exportName` exported by `module` (a URL, path or
   * package name, as for `actorClass`). `.call(...)` runs it on an executor with `options`'
   * resources (1 CPU by default) and resolves with its result; `.ref(...)` returns a ref at once.
   */
  task<F extends TaskFunction>(module: URL | string, exportName: string, options?: TaskOptions): RemoteFunction<F> {
    const parts = { cluster: this, parts: this.parts, objects: this.objects, isClosed: () => this.closed };
    return remoteFunction<F>(parts, module, exportName, options);
  }

  /** @internal A handle to the actor with this id, to be located by the first call through it. */
  handleById<C extends ActorClassType>(actorId: string, namespace: string, name: string): ActorHandle<C> {
    return new ActorHandle<C>(this.parts, unlocatedInfo(actorId, namespace, name));
  }

  /** A handle to a live named actor, created by any driver. */
  async getActor<C extends ActorClassType>(
    name: string,
    options: { namespace?: string } = {},
  ): Promise<ActorHandle<C>> {
    this.assertOpen();
    const info = await this.link.getActor({ name, namespace: options.namespace ?? this.namespace });
    return new ActorHandle<C>(this.parts, info);
  }

  /**
   * Reserves resource bundles all at once or not at all, placed by `strategy` (PACK by default).
   * Resolves at once with the group, CREATED or PENDING (then `ready()` waits for it); rejects when
   * the cluster can never hold it, naming the strategy and what is missing.
   */
  async placementGroup(
    bundles: Array<Record<string, number>>,
    options?: PlacementGroupOptions,
  ): Promise<PlacementGroup> {
    this.assertOpen();
    const opts = validatePgOptions(options);
    const reply = await this.link.groupOp({
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
    const reply = await this.link.groupOp({
      get: {
        placementGroupId: byId ? nameOrId : '',
        name: byId ? '' : nameOrId,
        namespace: options.namespace ?? this.namespace,
        waitReadyMs: 0,
      },
    });
    return new PlacementGroup(this.groupHost, toPlacementGroupInfo(present(reply.group, 'group')));
  }

  private readonly groupHost: GroupHost = { groupOp: (op) => this.link.groupOp(op) };

  /** Nodes with their resources, and actors by state. */
  async status(): Promise<ClusterStatus> {
    this.assertOpen();
    return this.link.status();
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
    if (Array.isArray(refs))
      return Promise.all((refs as readonly ObjectRef<T>[]).map((r) => this.objects.get(r, options)));
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

  /**
   * Lets go of these refs now: this handle's own refs (it owns them) are freed wherever they live
   * once no borrower (another process holding a ref it received inside a value) still holds them;
   * a borrowed ref gives back its count. Later gets through these refs fail with ObjectFreedError.
   */
  free(refs: ObjectRef | readonly ObjectRef[]): void {
    this.objects.free(Array.isArray(refs) ? refs : [refs as ObjectRef]);
  }

  /**
   * Forms a collective group of actors: rank i is `members[i]`. Each member's process opens an
   * endpoint of the backend ('tcp' by default), the members connect to each other, and then,
   * inside their methods, `getCollectiveGroup(name)` gives them allreduce, broadcast and the rest.
   */
  async collectiveGroup(
    members: readonly ActorHandle<ActorClassType>[],
    options: CollectiveGroupOptions = {},
  ): Promise<CollectiveGroupHandle> {
    this.assertOpen();
    return formCollectiveGroup(this.invoker, members, options);
  }

  /** Objects this driver owns and bytes held in its own memory for them. */
  objectStats(): { owned: number; heldBytes: number } {
    return { owned: this.objects.stats().objects, heldBytes: this.objects.plane.stats().bytes };
  }

  /**
   * Closes connections; for an embedded cluster also stops its head, worker and actors. An actor's
   * own cluster handle (`currentCluster()` inside an actor) is not the actor's to close: it closes
   * when the actor goes, and this does nothing.
   */
  async shutdown(): Promise<void> {
    if (this.init.actor) return;
    await this.close();
  }

  /** @internal Closes the handle; an actor's handle is closed this way when the actor goes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    open.delete(this);
    if (this.init.plane) {
      // The plane is the host's: only what this handle owns there goes.
      this.objects.plane.store.deleteOwner(this.init.ownerId);
    } else {
      this.objects.close();
      await this.objects.plane.close();
    }
    this.invoker.close();
    this.link.close();
    await this.init.embedded?.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  private assertOpen(): void {
    this.link.assertOpen();
  }
}

/** What a handle knows of an actor before its first call asks the head where it lives. */
function unlocatedInfo(actorId: string, namespace: string, name: string): ActorInfo {
  return {
    actorId,
    className: '',
    name,
    namespace,
    state: 'ALIVE',
    nodeId: '',
    address: '',
    pid: 0,
    resources: {},
    gpuIds: [],
    isolation: '',
    death: undefined,
    createdAtMs: 0,
    maxRestarts: 0,
    maxTaskRetries: 0,
    numRestarts: 0,
    ownerId: '',
    lifetime: '',
    placementGroupId: '',
    bundleIndex: -1,
  };
}

export { ActorClass, ActorHandle } from './actor-handle.js';
export type { CollectiveGroupHandle } from './collective-setup.js';
export type { CollectiveGroupOptions } from './collective-options.js';
export type { DeathCause };
