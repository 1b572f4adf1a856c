import { DEFAULT_NAMESPACE } from '../options/index.js';
import { randomBytes } from 'node:crypto';
import { ActorDiedError, ActorNotFoundError, InvalidArgumentError, NameTakenError } from '../common/index.js';
import { TroupeError, errorToInfo, withTimeout, type DeathCause } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { callUnary } from '../transport/index.js';
import { ActorDirectory, type ActorRecord } from './actor-directory.js';
import type { NodeRegistry } from './node-registry.js';
import type { Allocation, PlaceResult, PlacementRequest } from './scheduler.js';

/** Where actors get their resources: the nodes' ledgers, or a placement group's bundles. */
export interface Placer {
  place(req: PlacementRequest): PlaceResult;
  release(allocation: Allocation): void;
  reserve(allocation: Allocation): boolean;
}
import { placementOf, type ValidSpec } from './spec.js';

interface Waiting {
  record: ActorRecord;
  request: PlacementRequest;
  resolve: (r: ActorRecord) => void;
  reject: (e: unknown) => void;
}

/** How long the head waits for a worker to start an actor (module import + constructor). */
const START_TIMEOUT_MS = 10 * 60_000;

/** Where the manager writes what must survive a head restart (the StateStore, through the head). */
export interface ActorPersistence {
  /** Saves the actor's row; `claimName` binds its name in the same atomic step. */
  save(record: ActorRecord, claimName?: boolean): Promise<void>;
}

const noPersistence: ActorPersistence = { save: async () => undefined };

/**
 * Actor lifecycle on the head: validate → place (or queue, or fail as infeasible) → start on the
 * chosen worker → ALIVE; an actor whose process or node dies is restarted while its `maxRestarts`
 * allow (RESTARTING → ALIVE, constructor run again), otherwise it is DEAD with the cause.
 */
export class ActorManager {
  readonly directory = new ActorDirectory();
  private queue: Waiting[] = [];
  persistence: ActorPersistence = noPersistence;
  /** Runs first in every drain (the head places waiting placement groups there). */
  onDrain: () => void = () => undefined;

  constructor(
    private readonly scheduler: Placer,
    private readonly nodes: NodeRegistry,
    private readonly log: Logger,
  ) {}

  get pendingCount(): number {
    return this.queue.length;
  }

  /** Resolves once the actor is ALIVE; rejects with the placement or construction error. */
  async create(spec: ValidSpec, ownerId: string, onCancel: (cb: () => void) => void): Promise<ActorRecord> {
    if (spec.name) {
      const holder = this.directory.byNameLookup(spec.namespace, spec.name);
      if (holder && holder.state !== 'DEAD') {
        throw new NameTakenError(
          `an actor named '${spec.name}' already exists in namespace '${spec.namespace}' (${holder.actorId}); use getActor() to reach it or pick another name`,
          {
            context: { actorId: holder.actorId, field: 'name' },
          },
        );
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
      numRestarts: 0,
      createdAtMs: Date.now(),
    };
    const request = placementOf(spec);
    const placed = this.scheduler.place(request);
    if (placed.type === 'infeasible') throw placed.error;
    if (placed.type === 'placed') record.allocation = placed.allocation; // held while the row is written
    this.directory.add(record);
    try {
      // Acknowledged only once stored: a head restart must not forget an actor a caller knows.
      await this.persistence.save(record, true);
    } catch (err) {
      this.release(record);
      this.directory.markDead(record, { type: 'constructor-failed', message: 'the state store refused the actor' });
      throw err;
    }
    return new Promise<ActorRecord>((resolve, reject) => {
      const waiting: Waiting = { record, request, resolve, reject };
      if (placed.type === 'placed') {
        const allocation = record.allocation!;
        record.allocation = undefined;
        this.start(waiting, allocation);
      } else {
        this.log.info({ actorId: record.actorId, reason: placed.reason }, 'actor queued until resources free');
        this.queue.push(waiting);
      }
      onCancel(() => {
        if (record.state === 'PENDING') {
          this.queue = this.queue.filter((w) => w !== waiting);
          this.markDead(record, { type: 'killed', by: 'user' });
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
    const restarting = record.state === 'RESTARTING';
    record.restored = false;
    if (!restarting) record.state = 'CREATING';
    record.nodeId = node.nodeId;
    record.allocation = allocation;
    void this.persistence
      .save(record)
      .catch((err) => this.log.warn({ err, actorId: record.actorId }, 'could not save actor placement'));
    const spec = record.spec;
    withTimeout(
      node.starts.request({
        actorId: record.actorId,
        incarnation: node.incarnation,
        gpuIds: allocation.gpuIds,
        numRestarts: record.numRestarts,
        spec: { ...spec, resources: { amounts: spec.resources }, nodeAffinity: spec.nodeAffinity ?? null },
      }),
      START_TIMEOUT_MS,
      `node ${node.nodeId} did not start actor ${record.actorId} within ${START_TIMEOUT_MS / 1000} s`,
    ).then(
      (reply) => {
        if (record.state === 'DEAD' || record.nodeId !== node.nodeId) {
          // Killed (or its node lost) while starting: make sure nothing of it keeps running.
          w.reject(ActorDiedError.of(record.actorId, record.death));
          void this.killOnWorker(record.actorId, node.nodeId);
          return;
        }
        record.state = 'ALIVE';
        record.address = reply.address;
        record.pid = reply.pid;
        // A restart is news; one more live actor of a fleet of thousands is not.
        const fields = {
          actorId: record.actorId,
          nodeId: node.nodeId,
          address: reply.address,
          restarts: record.numRestarts,
        };
        if (restarting) this.log.info(fields, 'actor restarted');
        else this.log.debug(fields, 'actor alive');
        this.persistence.save(record).then(
          () => {
            this.directory.changed(record);
            w.resolve(record);
          },
          (err: unknown) => {
            // The caller learns of an actor only once the head could record it.
            this.log.warn({ err, actorId: record.actorId }, 'could not save a live actor');
            this.directory.changed(record);
            w.resolve(record);
          },
        );
      },
      (err: unknown) => {
        if (record.state === 'DEAD') {
          w.reject(err);
          return;
        }
        const message = err instanceof Error ? err.message : String(err);
        this.release(record);
        const lost = err instanceof TroupeError && (err.code === 'UNAVAILABLE' || err.code === 'TIMEOUT');
        if (lost && this.nodes.get(node.nodeId)?.state !== 'ALIVE') {
          this.fail(record, { type: 'node-lost', nodeId: node.nodeId });
        } else {
          this.markDead(record, { type: 'constructor-failed', message }, errorToInfo(err));
        }
        this.drain();
        w.reject(err);
      },
    );
  }

  /** Takes back an actor the store remembers (head restart): its resources, or its place in the queue. */
  restore(rec: ActorRecord): void {
    rec.restored = true;
    this.directory.add(rec);
    if (rec.state === 'DEAD') return;
    if (rec.allocation) {
      const node = this.nodes.get(rec.allocation.nodeId);
      if (node?.state === 'ALIVE' && this.scheduler.reserve(rec.allocation)) return;
      const nodeId = rec.allocation.nodeId;
      rec.allocation = undefined;
      this.fail(rec, { type: 'node-lost', nodeId });
      return;
    }
    const quiet = (): void => undefined;
    this.queue.push({ record: rec, request: placementOf(rec.spec), resolve: quiet, reject: quiet });
  }

  /** A creation the previous head started finished after all: the node runs it at this address. */
  confirm(rec: ActorRecord, address: string, pid: number): void {
    rec.restored = false;
    rec.state = 'ALIVE';
    rec.address = address;
    rec.pid = pid;
    this.log.info({ actorId: rec.actorId, address }, 'actor confirmed alive after a head restart');
    void this.persistence
      .save(rec)
      .catch((err) => this.log.warn({ err, actorId: rec.actorId }, 'could not save a confirmed actor'));
    this.directory.changed(rec);
  }

  /** Tries every queued request in order; called whenever capacity may have freed. */
  drain(): void {
    this.onDrain();
    if (this.queue.length === 0) return;
    const still: Waiting[] = [];
    for (const w of this.queue) {
      if (w.record.state !== 'PENDING' && w.record.state !== 'RESTARTING') continue;
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
    const rec = this.directory.byNameLookup(namespace || DEFAULT_NAMESPACE, name);
    if (!rec) {
      throw new ActorNotFoundError(`no live actor named '${name}' in namespace '${namespace || DEFAULT_NAMESPACE}'`, {
        context: { field: 'name' },
      });
    }
    return rec;
  }

  /** Kills an actor for good (no restart), as the user asked or because its owner went away. */
  async kill(actorId: string, cause: DeathCause = { type: 'killed', by: 'user' }): Promise<void> {
    const rec = this.directory.get(actorId);
    if (!rec) throw new ActorNotFoundError(`no actor with id ${actorId}`, { context: { actorId } });
    if (rec.state === 'DEAD') return;
    const nodeId = rec.nodeId;
    const running =
      rec.state === 'ALIVE' || rec.state === 'CREATING' || (rec.state === 'RESTARTING' && rec.allocation !== undefined);
    this.queue = this.queue.filter((w) => {
      if (w.record !== rec) return true;
      w.reject(ActorDiedError.of(actorId, cause));
      return false;
    });
    this.release(rec);
    // Stored before the worker is told: a head that crashes in between finds the actor DEAD, and
    // the resuming worker is told to stop it, so a killed actor never comes back.
    await this.markDead(rec, cause);
    if (running && nodeId) await this.killOnWorker(actorId, nodeId, cause);
    this.drain();
  }

  private async killOnWorker(actorId: string, nodeId: string, cause?: DeathCause): Promise<void> {
    const node = this.nodes.get(nodeId);
    if (node?.state !== 'ALIVE') return;
    try {
      const request = { actorId, deathCause: cause ? JSON.stringify(cause) : '' };
      await callUnary(node.client, 'KillActor', request, 'worker', node.address, 10_000);
    } catch (err) {
      this.log.warn({ actorId, nodeId, err: (err as Error).message }, 'worker could not kill the actor');
    }
  }

  /** An actor's process exited (reported by its worker). */
  exited(actorId: string, nodeId: string, cause: DeathCause): void {
    const rec = this.directory.get(actorId);
    if (!rec || rec.state === 'DEAD' || rec.nodeId !== nodeId || (rec.state === 'RESTARTING' && !rec.allocation))
      return;
    this.log.warn({ actorId, nodeId, cause }, 'actor died');
    this.fail(rec, cause);
  }

  /** A node was declared dead: its actors restart elsewhere as their options allow. */
  nodeLost(nodeId: string): void {
    for (const rec of this.directory.onNode(nodeId)) {
      rec.allocation = undefined; // the scheduler forgot the node and what it held
      this.fail(rec, { type: 'node-lost', nodeId });
    }
  }

  /** A placement group is being removed: the actors inside it die with it, for good. */
  async killInGroup(groupId: string): Promise<void> {
    const inside = this.directory.all().filter((r) => r.spec.placementGroupId === groupId && r.state !== 'DEAD');
    await Promise.all(
      inside.map((r) => this.kill(r.actorId, { type: 'placement-group-removed', groupId }).catch(() => undefined)),
    );
  }

  /** Their owner (a driver, or an actor that died or lost its process) went away: the non-detached ones die, as in Ray. */
  ownerGone(ownerId: string): void {
    for (const rec of this.directory.ownedBy(ownerId)) {
      if (rec.spec.lifetime === 'detached') continue;
      this.log.debug({ actorId: rec.actorId, ownerId }, 'killing an actor whose owner went away');
      void this.kill(rec.actorId, { type: 'owner-died', ownerId }).catch(() => undefined);
    }
  }

  /** Restarts the actor if its options allow, otherwise it is dead for good. */
  private fail(rec: ActorRecord, cause: DeathCause): void {
    this.release(rec);
    this.ownerGone(rec.actorId); // what it spawned goes with its process, restarted or not
    const max = rec.spec.maxRestarts;
    const restartable =
      cause.type !== 'killed' &&
      cause.type !== 'constructor-failed' &&
      cause.type !== 'owner-died' &&
      cause.type !== 'placement-group-removed';
    if (!restartable || (max !== -1 && rec.numRestarts >= max)) {
      this.markDead(rec, cause);
      this.drain();
      return;
    }
    rec.numRestarts++;
    rec.state = 'RESTARTING';
    rec.death = cause;
    rec.nodeId = '';
    rec.address = '';
    rec.pid = 0;
    this.log.warn({ actorId: rec.actorId, cause, restart: rec.numRestarts, maxRestarts: max }, 'restarting actor');
    void this.persistence
      .save(rec)
      .catch((err) => this.log.warn({ err, actorId: rec.actorId }, 'could not save a restarting actor'));
    this.directory.changed(rec);
    const done = (): void => undefined;
    const waiting: Waiting = {
      record: rec,
      request: placementOf(rec.spec),
      resolve: done,
      reject: (err) => this.log.warn({ actorId: rec.actorId, err: (err as Error).message }, 'actor restart failed'),
    };
    const placed = this.scheduler.place(waiting.request);
    if (placed.type === 'placed') this.start(waiting, placed.allocation);
    else if (placed.type === 'wait' || !neverPlaceable(waiting.request)) {
      // As in Ray, a restart waits for a node (none may be alive just now, or none big enough
      // yet): a node that holds it may join, or come back, at any time.
      const reason = placed.type === 'wait' ? placed.reason : placed.error.message;
      this.log.info({ actorId: rec.actorId, reason }, 'actor restart waits for a node that can hold it');
      this.queue.push(waiting);
    } else {
      this.log.warn({ actorId: rec.actorId, reason: placed.error.message }, 'actor can never be placed again');
      this.markDead(rec, cause);
    }
    this.drain();
  }

  private markDead(rec: ActorRecord, cause: DeathCause, error?: ReturnType<typeof errorToInfo>): Promise<void> {
    this.directory.markDead(rec, cause, error);
    this.ownerGone(rec.actorId);
    return this.persistence
      .save(rec)
      .catch((err) => this.log.warn({ err, actorId: rec.actorId }, 'could not save a dead actor'));
  }

  private release(rec: ActorRecord): void {
    if (rec.allocation) {
      this.scheduler.release(rec.allocation);
      rec.allocation = undefined;
    }
  }
}

/**
 * A request no node joining later can ever satisfy: one pinned to a node (hard affinity; a node
 * declared dead comes back under a new id) or to a placement group's bundles (fixed when made).
 */
function neverPlaceable(req: PlacementRequest): boolean {
  return req.placementGroup !== undefined || (req.nodeAffinity !== undefined && !req.nodeAffinity.soft);
}
