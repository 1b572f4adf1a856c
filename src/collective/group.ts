/**
 * Collective groups as actor code sees them. The driver forms a group with
 * `cluster.collectiveGroup([a, b, c], { backend: 'tcp' })`: each member's process opens an
 * endpoint of the chosen backend, the driver hands every member the others' addresses, and the
 * members connect. Inside a member, `getCollectiveGroup(name)` returns its CollectiveGroup.
 *
 * A backend is the implementation of the collectives: 'tcp' runs ring algorithms over a
 * TcpPeerTransport; 'nccl' plugs in from the native core through `registerCollectiveBackend`.
 */
import { InvalidArgumentError, UnavailableError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import {
  allgather,
  allreduce,
  barrier,
  broadcast,
  reduceScatter,
  type AllgatherOptions,
  type BroadcastOptions,
  type ReduceOp,
  type ReduceOptions,
} from './ring.js';
import type { CollectiveOptions } from './steps.js';
import { TcpPeerTransport } from './tcp-transport.js';
import type { FloatArray } from './transport.js';

/** The collectives one rank runs; what a backend implements. */
export interface CollectiveOps {
  allreduce<T extends FloatArray>(data: T, opts?: ReduceOptions): Promise<T>;
  reduceScatter<T extends FloatArray>(
    data: T,
    op?: ReduceOp,
    opts?: CollectiveOptions & { chunkElems?: number },
  ): Promise<T>;
  allgather<T extends FloatArray>(segment: T, opts?: AllgatherOptions): Promise<T>;
  broadcast<T extends FloatArray>(data: T | undefined, root: number, opts?: BroadcastOptions): Promise<T>;
  send(data: FloatArray, to: number, opts?: P2POptions): Promise<void>;
  recv(from: number, opts?: P2POptions & { into?: FloatArray }): Promise<FloatArray>;
  barrier(opts?: CollectiveOptions): Promise<void>;
  /** Leaves the group: peers' pending collectives fail naming this rank. */
  close(reason?: Error): Promise<void>;
}

export interface P2POptions {
  /** Matches sends to receives; default 'p2p'. */
  tag?: string;
  /** How long `recv` waits. Default 30000 ms. */
  timeoutMs?: number;
}

export interface EndpointOptions {
  rank: number;
  size: number;
  /** Secret of this group, shared by its members only. */
  token: string;
  /** Interface of this process to listen on. */
  host: string;
  log: Logger;
}

/** One rank's side of a group being formed: where peers reach it, and how it joins them. */
export interface BackendEndpoint {
  /** Opaque to the driver: handed to every member in rank order. */
  readonly rendezvous: string;
  connect(rendezvous: readonly string[], timeoutMs: number): Promise<CollectiveOps>;
  close(): Promise<void>;
}

export type CollectiveBackend = (opts: EndpointOptions) => Promise<BackendEndpoint>;

const backends = new Map<string, CollectiveBackend>();

/** Makes a backend available under `name` in this process (the native core registers 'nccl'). */
export function registerCollectiveBackend(name: string, backend: CollectiveBackend): void {
  backends.set(name, backend);
}

export function collectiveBackend(name: string): CollectiveBackend {
  const b = backends.get(name);
  if (!b) {
    const hint =
      name === 'nccl' ? "; 'nccl' comes with the native core (troupe/train) on machines with NVIDIA GPUs" : '';
    throw new InvalidArgumentError(
      `unknown collective backend '${name}'; available here: ${[...backends.keys()].join(', ')}${hint}`,
      {
        context: { field: 'backend' },
      },
    );
  }
  return b;
}

registerCollectiveBackend('tcp', async (opts) => {
  const t = await TcpPeerTransport.create({
    rank: opts.rank,
    size: opts.size,
    token: opts.token,
    host: opts.host,
    log: opts.log,
  });
  return {
    rendezvous: t.address,
    async connect(addresses, timeoutMs) {
      await t.connect(addresses, { timeoutMs });
      return {
        allreduce: (data, o) => allreduce(t, data, o),
        reduceScatter: (data, op, o) => reduceScatter(t, data, op, o),
        allgather: (segment, o) => allgather(t, segment, o),
        broadcast: (data, root, o) => broadcast(t, data, root, o),
        send: (data, to, o) => t.send(to, o?.tag ?? 'p2p', data),
        async recv(from, o) {
          const timeoutMs = o?.timeoutMs ?? 30_000;
          if (!o?.into) return t.recv(from, o?.tag ?? 'p2p', timeoutMs);
          await t.recvInto(from, o.tag ?? 'p2p', o.into, timeoutMs);
          return o.into;
        },
        barrier: (o) => barrier(t, o),
        async close(reason) {
          if (reason) t.abort(reason);
          await t.close();
        },
      };
    },
    close: () => t.close(),
  };
});

/** A member's view of its group: its rank, the group's size, and the collectives. */
export class CollectiveGroup {
  private closed: Error | undefined;

  constructor(
    readonly name: string,
    readonly backend: string,
    readonly rank: number,
    readonly size: number,
    private readonly ops: CollectiveOps,
  ) {}

  /** Combines `data` across ranks (sum, mean or max); every rank gets the result. */
  allreduce<T extends FloatArray>(data: T, opts?: ReduceOptions): Promise<T> {
    return this.run(() => this.ops.allreduce(data, opts));
  }
  /** Reduces across ranks; rank r gets segment r of the result (see segmentBounds). */
  reduceScatter<T extends FloatArray>(
    data: T,
    op?: ReduceOp,
    opts?: CollectiveOptions & { chunkElems?: number },
  ): Promise<T> {
    return this.run(() => this.ops.reduceScatter(data, op, opts));
  }
  /** Concatenates every rank's segment, in rank order. */
  allgather<T extends FloatArray>(segment: T, opts?: AllgatherOptions): Promise<T> {
    return this.run(() => this.ops.allgather(segment, opts));
  }
  /** Rank `root`'s data, on every rank (others pass undefined or an array to receive into). */
  broadcast<T extends FloatArray>(data: T | undefined, root: number, opts?: BroadcastOptions): Promise<T> {
    return this.run(() => this.ops.broadcast(data, root, opts));
  }
  send(data: FloatArray, to: number, opts?: P2POptions): Promise<void> {
    return this.run(() => this.ops.send(data, to, opts));
  }
  recv(from: number, opts?: P2POptions & { into?: FloatArray }): Promise<FloatArray> {
    return this.run(() => this.ops.recv(from, opts));
  }
  barrier(opts?: CollectiveOptions): Promise<void> {
    return this.run(() => this.ops.barrier(opts));
  }

  /** @internal Leaves the group (the driver destroys groups; an actor's death leaves them). */
  async close(reason: Error): Promise<void> {
    if (this.closed) return;
    this.closed = reason;
    await this.ops.close(reason);
  }

  private run<R>(fn: () => Promise<R>): Promise<R> {
    if (this.closed) {
      return Promise.reject(
        new UnavailableError(`collective group '${this.name}' (rank ${this.rank}) is closed: ${this.closed.message}`, {
          context: { group: this.name, rank: String(this.rank) },
        }),
      );
    }
    return fn();
  }
}

/**
 * Groups by actor instance, shared through globalThis so that actor code that loaded its own copy
 * of this module (a bundled or differently resolved `troupe`) still finds them.
 */
interface Registry {
  byActor: Map<object, Map<string, CollectiveGroup>>;
}
const REGISTRY = Symbol.for('troupe.collective.registry');
function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (g[REGISTRY] ??= { byActor: new Map() });
}

/** @internal */
export function joinGroup(actor: object, group: CollectiveGroup): void {
  const r = registry();
  let mine = r.byActor.get(actor);
  if (!mine) r.byActor.set(actor, (mine = new Map()));
  if (mine.has(group.name)) {
    throw new InvalidArgumentError(
      `this actor is already a member of collective group '${group.name}'; destroy that group first or pick another name`,
      {
        context: { field: 'name' },
      },
    );
  }
  mine.set(group.name, group);
}

/** @internal */
export function leaveGroup(actor: object, name: string): CollectiveGroup | undefined {
  const r = registry();
  const mine = r.byActor.get(actor);
  const g = mine?.get(name);
  mine?.delete(name);
  if (mine?.size === 0) r.byActor.delete(actor);
  return g;
}

/** @internal Every group an actor is in (to close them when it dies). */
export function groupsOf(actor: object): CollectiveGroup[] {
  return [...(registry().byActor.get(actor)?.values() ?? [])];
}

/**
 * The collective group `name` (default 'default') this actor belongs to, for use inside actor
 * methods. Pass the actor itself (`this`) when several actors share the process
 * (`isolation: 'shared'`); with one actor per process it may be left out.
 */
export function getCollectiveGroup(name = 'default', self?: object): CollectiveGroup {
  const r = registry();
  if (self !== undefined) {
    const g = r.byActor.get(self)?.get(name);
    if (g) return g;
    const names = [...(r.byActor.get(self)?.keys() ?? [])];
    throw new InvalidArgumentError(
      `this actor is not a member of collective group '${name}'` +
        (names.length ? `; its groups: ${names.join(', ')}` : '; it is in no group'),
      { context: { field: 'name' } },
    );
  }
  const found = [...r.byActor.values()].map((m) => m.get(name)).filter((g): g is CollectiveGroup => g !== undefined);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new InvalidArgumentError(
      `${found.length} actors of this process are members of collective group '${name}'; pass the actor (getCollectiveGroup(name, this))`,
      { context: { field: 'self' } },
    );
  }
  const all = new Set([...r.byActor.values()].flatMap((m) => [...m.keys()]));
  throw new InvalidArgumentError(
    `no actor of this process is a member of collective group '${name}'` +
      (all.size ? `; groups here: ${[...all].join(', ')}` : ''),
    { context: { field: 'name' } },
  );
}
