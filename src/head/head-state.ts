import { setTimeout as sleep } from 'node:timers/promises';
import { NameTakenError, TroupeError, type DeathCause } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { ActorRow, Mutation, NodeRow, OpaqueRow, StateStore } from '../state/index.js';
import type { ActorRecord } from './actor-directory.js';
import type { ActorPersistence } from './actor-manager.js';
import type { NodeEntry } from './node-registry.js';
import type { ValidSpec } from './spec.js';

/** How long the head keeps retrying a write while the store (Redis) is away. */
const STORE_RETRY_MS = 30_000;

/**
 * Writes the head's tables through to the StateStore, retrying while the store is briefly away, so
 * that what a client was told (an actor exists, a node joined) survives a head restart.
 */
export class HeadState implements ActorPersistence {
  constructor(
    readonly store: StateStore,
    private readonly log: Logger,
  ) {}

  async save(record: ActorRecord, claimName = false): Promise<void> {
    const mutations: Mutation[] = [{ op: 'put', table: 'actors', id: record.actorId, row: actorRow(record) }];
    const { name, namespace } = record.spec;
    if (name && claimName) mutations.push({ op: 'claimName', namespace, name, actorId: record.actorId });
    if (name && record.state === 'DEAD')
      mutations.push({ op: 'releaseName', namespace, name, actorId: record.actorId });
    const result = await this.retry(`saving actor ${record.actorId}`, () => this.store.commit(mutations));
    if (!result.ok) {
      throw new NameTakenError(
        `an actor named '${result.name}' already exists in namespace '${result.namespace}' (${result.holder})`,
        {
          context: { actorId: result.holder, field: 'name' },
        },
      );
    }
  }

  savePlacementGroup(row: OpaqueRow): Promise<void> {
    return this.retry(`saving placement group ${row.id}`, () => this.store.put('placementGroups', row.id, row));
  }

  saveNode(node: NodeEntry): Promise<void> {
    return this.retry(`saving node ${node.nodeId}`, () => this.store.put('nodes', node.nodeId, nodeRow(node)));
  }

  nextIncarnation(): Promise<number> {
    return this.retry('numbering a node incarnation', () => this.store.incr('node-incarnation'));
  }

  private async retry<T>(what: string, op: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + STORE_RETRY_MS;
    let delay = 100;
    for (;;) {
      try {
        return await op();
      } catch (err) {
        const unavailable = err instanceof TroupeError && err.code === 'STATE_UNAVAILABLE';
        if (!unavailable || Date.now() + delay > deadline) throw err;
        this.log.warn({ what, retryInMs: delay, err: err.message }, 'state store unavailable; retrying');
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
      }
    }
  }
}

export function nodeRow(n: NodeEntry): NodeRow {
  return {
    nodeId: n.nodeId,
    incarnation: n.incarnation,
    address: n.address,
    hostname: n.hostname,
    labels: n.labels,
    total: n.total,
    numGpuDevices: n.numGpuDevices,
    state: n.state,
    deathReason: n.deathReason,
    registeredAtMs: n.registeredAtMs,
  };
}

export function actorRow(r: ActorRecord): ActorRow {
  const { args, ...spec } = r.spec;
  return {
    actorId: r.actorId,
    spec: { ...spec, args: Buffer.from(args).toString('base64') },
    ownerId: r.ownerId,
    state: r.state,
    nodeId: r.nodeId,
    address: r.address,
    pid: r.pid,
    allocation: r.allocation
      ? {
          nodeId: r.allocation.nodeId,
          resources: r.allocation.resources,
          gpuIds: r.allocation.gpuIds,
          ...(r.allocation.bundle ? { bundle: r.allocation.bundle } : {}),
        }
      : null,
    death: (r.death as Record<string, unknown> | undefined) ?? null,
    numRestarts: r.numRestarts,
    createdAtMs: r.createdAtMs,
  };
}

export function recordFromRow(row: ActorRow): ActorRecord {
  const spec = row.spec as unknown as Omit<ValidSpec, 'args'> & { args: string };
  return {
    actorId: row.actorId,
    spec: { ...spec, args: Buffer.from(spec.args ?? '', 'base64') } as ValidSpec,
    ownerId: row.ownerId,
    state: row.state,
    nodeId: row.nodeId,
    address: row.address,
    pid: row.pid,
    allocation: row.allocation ?? undefined,
    death: (row.death as DeathCause | null) ?? undefined,
    deathError: undefined,
    numRestarts: row.numRestarts,
    createdAtMs: row.createdAtMs,
  };
}
