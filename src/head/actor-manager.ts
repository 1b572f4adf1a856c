import { randomBytes } from 'node:crypto';
import {
  ActorNotFoundError,
  InvalidArgumentError,
  NameTakenError,
  ActorDiedError,
  TimeoutError,
  errorToInfo,
  type DeathCause,
} from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { callUnary } from '../transport/grpc.js';
import { ActorDirectory, type ActorRecord } from './actor-directory.js';
import type { NodeRegistry } from './node-registry.js';
import type { Scheduler, PlacementRequest } from './scheduler.js';
import type { ValidSpec } from './spec.js';

interface Waiting {
  record: ActorRecord;
  request: PlacementRequest;
  resolve: (r: ActorRecord) => void;
  reject: (e: unknown) => void;
}

/** How long the head waits for a worker to start an actor (module import + constructor). */
const START_TIMEOUT_MS = 10 * 60_000;

/**
 * Actor lifecycle on the head: validate → place (or queue, or fail as infeasible) → start on the
 * chosen worker → ALIVE; kills and exits free the resources and retry the queue.
 */
export class ActorManager {
  readonly directory = new ActorDirectory();
  private queue: Waiting[] = [];

  constructor(
    private readonly scheduler: Scheduler,
    private readonly nodes: NodeRegistry,
    private readonly log: Logger,
  ) {}

  get pendingCount(): number {
    return this.queue.length;
  }

  /** Resolves once the actor is ALIVE; rejects with the placement or construction error. */
  create(spec: ValidSpec, ownerId: string, onCancel: (cb: () => void) => void): Promise<ActorRecord> {
    if (spec.name) {
      const holder = this.directory.byNameLookup(spec.namespace, spec.name);
      if (holder && holder.state !== 'DEAD') {
        throw new NameTakenError(`an actor named '${spec.name}' already exists in namespace '${spec.namespace}' (${holder.actorId}); use getActor() to reach it or pick another name`, {
          context: { actorId: holder.actorId, field: 'name' },
        });
      }
    }
    const record: ActorRecord = {
      actorId: `actor-${randomBytes(8).toString('hex')}`,
      spec,
      ownerId,
      state: 'PENDING',
      nodeId: '',
      address: '',
      pid: 0,
      allocation: undefined,
      death: undefined,
      deathError: undefined,
      createdAtMs: Date.now(),
    };
    const request: PlacementRequest = { resources: spec.resources, strategy: spec.schedulingStrategy, nodeAffinity: spec.nodeAffinity };
    const placed = this.scheduler.place(request);
    if (placed.type === 'infeasible') throw placed.error;
    this.directory.add(record);
    return new Promise<ActorRecord>((resolve, reject) => {
      const waiting: Waiting = { record, request, resolve, reject };
      if (placed.type === 'placed') {
        this.start(waiting, placed.allocation);
      } else {
        this.log.info({ actorId: record.actorId, reason: placed.reason }, 'actor queued until resources free');
        this.queue.push(waiting);
      }
      onCancel(() => {
        if (record.state === 'PENDING') {
          this.queue = this.queue.filter((w) => w !== waiting);
          this.directory.markDead(record, { type: 'killed', by: 'user' });
        }
      });
    });
  }

  private start(w: Waiting, allocation: NonNullable<ActorRecord['allocation']>): void {
    const { record } = w;
    const node = this.nodes.get(allocation.nodeId);
    if (!node) {
      this.scheduler.release(allocation);
      this.queue.push(w);
      return;
    }
    record.state = 'CREATING';
    record.nodeId = node.nodeId;
    record.allocation = allocation;
    const spec = record.spec;
    withTimeout(
      node.starts.request({
        actorId: record.actorId,
        incarnation: node.incarnation,
        gpuIds: allocation.gpuIds,
        spec: { ...spec, resources: { amounts: spec.resources }, nodeAffinity: spec.nodeAffinity ?? null },
      }),
      START_TIMEOUT_MS,
      `node ${node.nodeId} did not start actor ${record.actorId} within ${START_TIMEOUT_MS / 1000} s`,
    ).then(
      (reply) => {
        if (record.state !== 'CREATING') {
          // Killed while starting: the kill already went to the worker or will find nothing.
          w.reject(ActorDiedError.of(record.actorId, record.death));
          this.killOnWorker(record.actorId, node.nodeId);
          return;
        }
        record.state = 'ALIVE';
        record.address = reply.address;
        record.pid = reply.pid;
        this.log.info({ actorId: record.actorId, nodeId: node.nodeId, address: reply.address }, 'actor alive');
        w.resolve(record);
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.release(record);
        this.directory.markDead(record, { type: 'constructor-failed', message }, errorToInfo(err));
        this.drain();
        w.reject(err);
      },
    );
  }

  /** Tries every queued request in order; called whenever capacity may have freed. */
  drain(): void {
    if (this.queue.length === 0) return;
    const still: Waiting[] = [];
    for (const w of this.queue) {
      if (w.record.state !== 'PENDING') continue;
      const placed = this.scheduler.place(w.request);
      if (placed.type === 'placed') this.start(w, placed.allocation);
      else still.push(w);
    }
    this.queue = still;
  }

  lookup(actorId: string, name: string, namespace: string): ActorRecord {
    if (actorId) {
      const rec = this.directory.get(actorId);
      if (!rec) throw new ActorNotFoundError(`no actor with id ${actorId}`, { context: { actorId } });
      return rec;
    }
    if (!name) throw new InvalidArgumentError('GetActor needs actor_id or name', { context: { field: 'name' } });
    const rec = this.directory.byNameLookup(namespace || 'default', name);
    if (!rec) {
      throw new ActorNotFoundError(`no live actor named '${name}' in namespace '${namespace || 'default'}'`, { context: { field: 'name' } });
    }
    return rec;
  }

  async kill(actorId: string): Promise<void> {
    const rec = this.directory.get(actorId);
    if (!rec) throw new ActorNotFoundError(`no actor with id ${actorId}`, { context: { actorId } });
    if (rec.state === 'DEAD') return;
    const wasState = rec.state;
    const nodeId = rec.nodeId;
    this.queue = this.queue.filter((w) => {
      if (w.record !== rec) return true;
      w.reject(ActorDiedError.of(actorId, { type: 'killed', by: 'user' }));
      return false;
    });
    this.release(rec);
    this.directory.markDead(rec, { type: 'killed', by: 'user' });
    if (wasState === 'ALIVE') await this.killOnWorker(actorId, nodeId);
    this.drain();
  }

  private async killOnWorker(actorId: string, nodeId: string): Promise<void> {
    const node = this.nodes.get(nodeId);
    if (!node || node.state !== 'ALIVE') return;
    try {
      await callUnary(node.client, 'KillActor', { actorId }, 'worker', node.address, 10_000);
    } catch (err) {
      this.log.warn({ actorId, nodeId, err: (err as Error).message }, 'worker could not kill the actor');
    }
  }

  /** An actor's process exited (reported by its worker). */
  exited(actorId: string, nodeId: string, cause: DeathCause): void {
    const rec = this.directory.get(actorId);
    if (!rec || rec.state === 'DEAD' || rec.nodeId !== nodeId) return;
    this.log.warn({ actorId, nodeId, cause }, 'actor died');
    this.release(rec);
    this.directory.markDead(rec, cause);
    this.drain();
  }

  /** A node was declared dead: its actors die with it. */
  nodeLost(nodeId: string): void {
    for (const rec of this.directory.onNode(nodeId)) {
      rec.allocation = undefined;
      this.directory.markDead(rec, { type: 'node-lost', nodeId });
    }
  }

  private release(rec: ActorRecord): void {
    if (rec.allocation) {
      this.scheduler.release(rec.allocation);
      rec.allocation = undefined;
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(message)), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
