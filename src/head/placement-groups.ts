/**
 * Placement groups on the head: gangs of resource bundles reserved together under a strategy
 * (PACK, SPREAD, STRICT_PACK, STRICT_SPREAD), and the actors placed inside them.
 *
 * Reservation is two-phase. Prepare: the scheduler chooses a node for every bundle on copies of
 * the node ledgers and, only when all fit, takes them from the real ledgers, in one synchronous
 * step that no other request can interleave with. Commit: the group is written to the StateStore;
 * if that fails every bundle is released again, so a failed request never leaks a partial
 * reservation. The head's scheduler is the only ledger of node resources (workers keep none), so
 * the nodes themselves have nothing to prepare.
 *
 * Each placed bundle is also a "node" of a second Scheduler, the bundle ledger: actors spawned into
 * a bundle are placed there, so they use the bundle's resources and GPU devices, never the node's
 * free pool.
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_NAMESPACE } from '../options/index.js';
import { InvalidArgumentError, NameTakenError, ResourcesInfeasibleError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { OpaqueRow } from '../state/index.js';
import { groupFromRow, groupRow, type PlacementGroupRecord } from './placement-group-record.js';
import { validateGroup, type CreateGroupRequest } from './placement-group-request.js';
import { formatResources, type ResourceMap } from './resources.js';
import { Scheduler, type Allocation, type PlaceResult, type PlacementRequest } from './scheduler.js';

/** What the manager needs from the rest of the head. */
export interface GroupHooks {
  save(row: OpaqueRow): Promise<void>;
  /** Kills the actors placed in the group (before its bundles are released). */
  killActorsIn(groupId: string, reason: string): Promise<void>;
  /** Capacity changed (bundles placed or freed): queued actors may fit now. */
  capacityChanged(): void;
}

const bundleKey = (groupId: string, index: number): string => `${groupId}#${index}`;

export class PlacementGroupManager {
  private readonly groups = new Map<string, PlacementGroupRecord>();
  /** Groups waiting for capacity (PENDING or RESCHEDULING), oldest first. */
  private waiting: PlacementGroupRecord[] = [];
  private readonly ledger = new Scheduler();
  private readonly watchers = new Map<string, Set<() => void>>();
  private draining = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly hooks: GroupHooks,
    private readonly log: Logger,
  ) {}

  /** Validates, reserves (or queues) and stores a new group. Throws when it can never fit. */
  async create(req: CreateGroupRequest): Promise<PlacementGroupRecord> {
    const { bundles, strategy } = validateGroup(req);
    const namespace = req.namespace || DEFAULT_NAMESPACE;
    if (req.name && this.byName(req.name, namespace)) {
      throw new NameTakenError(
        `a placement group named '${req.name}' already exists in namespace '${namespace}'; remove it or pick another name`,
        {
          context: { field: 'name' },
        },
      );
    }
    const g: PlacementGroupRecord = {
      id: `pg-${randomBytes(8).toString('hex')}`,
      name: req.name,
      namespace,
      strategy,
      bundles,
      allocations: bundles.map(() => undefined),
      state: 'PENDING',
      reason: '',
      ownerId: req.ownerId,
      lifetime: req.lifetime === 'detached' ? 'detached' : '',
      createdAtMs: Date.now(),
    };
    // Phase one: all bundles or none, from the node ledgers.
    const prepared = this.scheduler.placeBundles({ bundles, strategy });
    if (prepared.type === 'infeasible') throw prepared.error;
    if (prepared.type === 'placed') {
      g.allocations = prepared.allocations;
      g.state = 'CREATED';
    } else {
      g.reason = prepared.reason;
    }
    this.groups.set(g.id, g);
    // Phase two: commit to the store; a group the store did not take holds nothing.
    try {
      await this.hooks.save(groupRow(g));
    } catch (err) {
      this.groups.delete(g.id);
      for (const a of g.allocations) if (a) this.scheduler.release(a);
      this.hooks.capacityChanged();
      throw err;
    }
    if (g.state === 'CREATED') {
      this.openBundles(g);
      this.notify(g);
      this.hooks.capacityChanged();
    } else {
      this.waiting.push(g);
      this.log.info({ groupId: g.id, reason: g.reason }, 'placement group pending until resources free');
    }
    return g;
  }

  get(id: string, name: string, namespace: string): PlacementGroupRecord {
    const g = id ? this.groups.get(id) : name ? this.byName(name, namespace || DEFAULT_NAMESPACE) : undefined;
    if (!id && !name)
      throw new InvalidArgumentError('GetPlacementGroup needs placement_group_id or name', {
        context: { field: 'placement_group_id' },
      });
    if (!g) {
      throw new InvalidArgumentError(
        id
          ? `no placement group with id ${id}`
          : `no placement group named '${name}' in namespace '${namespace || DEFAULT_NAMESPACE}'`,
        {
          context: { field: id ? 'placement_group_id' : 'name' },
        },
      );
    }
    return g;
  }

  /** Resolves once the group is CREATED or REMOVED, or after `ms` (with the group as it is then). */
  waitSettled(g: PlacementGroupRecord, ms: number): Promise<PlacementGroupRecord> {
    if (g.state === 'CREATED' || g.state === 'REMOVED' || ms <= 0) return Promise.resolve(g);
    return new Promise((resolve) => {
      let set = this.watchers.get(g.id);
      if (!set) this.watchers.set(g.id, (set = new Set()));
      const done = (): void => {
        clearTimeout(timer);
        set.delete(done);
        resolve(g);
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  list(): PlacementGroupRecord[] {
    return [...this.groups.values()];
  }

  /** Kills the actors inside, frees every bundle, and keeps the group as REMOVED. */
  async remove(id: string, reason = 'removed by the user'): Promise<void> {
    const g = this.groups.get(id);
    if (!g)
      throw new InvalidArgumentError(`no placement group with id ${id}`, { context: { field: 'placement_group_id' } });
    if (g.state === 'REMOVED') return;
    g.state = 'REMOVED';
    g.reason = reason;
    this.waiting = this.waiting.filter((w) => w !== g);
    await this.hooks.killActorsIn(g.id, reason);
    g.allocations.forEach((a, i) => {
      if (a) this.scheduler.release(a);
      this.ledger.removeNode(bundleKey(g.id, i));
    });
    g.allocations = g.bundles.map(() => undefined);
    this.notify(g);
    await this.save(g);
    this.drain();
    this.hooks.capacityChanged();
  }

  /** The driver that owns these groups went away: the non-detached ones go with it. */
  ownerGone(ownerId: string): void {
    for (const g of this.groups.values()) {
      if (g.ownerId !== ownerId || g.lifetime === 'detached' || g.state === 'REMOVED') continue;
      void this.remove(g.id, `its driver ${ownerId} went away`).catch((err) =>
        this.log.warn({ err, groupId: g.id }, 'could not remove a group'),
      );
    }
  }

  /** A node died: its bundles are placed again under the group's strategy. */
  nodeLost(nodeId: string): void {
    for (const g of this.groups.values()) {
      if (g.state === 'REMOVED') continue;
      const lost = g.allocations.flatMap((a, i) => (a?.nodeId === nodeId ? [i] : []));
      if (lost.length === 0) continue;
      for (const i of lost) {
        g.allocations[i] = undefined;
        this.ledger.removeNode(bundleKey(g.id, i));
      }
      g.state = 'RESCHEDULING';
      g.reason = `node ${nodeId} was lost; placing bundle(s) ${lost.join(', ')} again`;
      this.log.warn({ groupId: g.id, nodeId, bundles: lost }, 'placement group lost bundles; rescheduling');
      if (!this.waiting.includes(g)) this.waiting.push(g);
      void this.save(g);
    }
    this.drain();
  }

  /** Places waiting groups, oldest first, as far as capacity allows. */
  drain(): void {
    if (this.draining || this.waiting.length === 0) return;
    this.draining = true;
    let placedAny = false;
    try {
      const still: PlacementGroupRecord[] = [];
      for (const g of this.waiting) {
        if (g.state === 'REMOVED') continue;
        const r = this.scheduler.placeBundles({
          bundles: g.bundles,
          strategy: g.strategy,
          placed: g.allocations.map((a) => a?.nodeId),
        });
        if (r.type !== 'placed') {
          g.reason = r.type === 'wait' ? r.reason : r.error.message;
          still.push(g);
          continue;
        }
        r.allocations.forEach((a, i) => {
          if (a) g.allocations[i] = a;
        });
        g.state = 'CREATED';
        g.reason = '';
        this.openBundles(g);
        this.notify(g);
        placedAny = true;
        this.log.info({ groupId: g.id }, 'placement group placed');
        void this.save(g);
      }
      this.waiting = still;
    } finally {
      this.draining = false;
    }
    if (placedAny) this.hooks.capacityChanged();
  }

  /** A restarted head takes back a stored group: its bundles where their nodes still live. */
  restore(row: OpaqueRow, nodeAlive: (nodeId: string) => boolean): void {
    const g = groupFromRow(row);
    this.groups.set(g.id, g);
    if (g.state === 'REMOVED') return;
    let lost = false;
    g.allocations = g.allocations.map((a) => {
      if (!a) return undefined;
      if (nodeAlive(a.nodeId) && this.scheduler.reserve(a)) return a;
      lost = true;
      return undefined;
    });
    if (g.allocations.some((a) => !a)) {
      g.state = g.state === 'PENDING' && !lost ? 'PENDING' : 'RESCHEDULING';
      this.waiting.push(g);
    }
    this.openBundles(g);
  }

  // The actor placer: requests with a placement group use a bundle's ledger, others the nodes'.

  place(req: PlacementRequest): PlaceResult {
    if (!req.placementGroup) return this.scheduler.place(req);
    const { groupId, bundleIndex } = req.placementGroup;
    const g = this.groups.get(groupId);
    if (!g || g.state === 'REMOVED') {
      const why = g ? `was removed (${g.reason})` : 'does not exist';
      return {
        type: 'infeasible',
        error: new ResourcesInfeasibleError(`placement group ${groupId} ${why}`, {
          context: { field: 'placementGroup' },
        }),
      };
    }
    const candidates = bundleIndex >= 0 ? [bundleIndex] : g.bundles.map((_, i) => i);
    if (bundleIndex >= g.bundles.length) {
      return {
        type: 'infeasible',
        error: new ResourcesInfeasibleError(
          `bundleIndex ${bundleIndex} is out of range: placement group ${groupId} has ${g.bundles.length} bundle(s)`,
          {
            context: { field: 'bundleIndex' },
          },
        ),
      };
    }
    const fitsTotal = (i: number): boolean =>
      Object.entries(req.resources).every(([k, v]) => v <= (g.bundles[i]![k] ?? 0) + 1e-9);
    if (!candidates.some(fitsTotal)) {
      const which =
        bundleIndex >= 0
          ? `bundle ${bundleIndex} holds {${formatResources(g.bundles[bundleIndex]!)}}`
          : `its largest bundles hold ${g.bundles.map((b) => `{${formatResources(b)}}`).join(', ')}`;
      return {
        type: 'infeasible',
        error: new ResourcesInfeasibleError(
          `the actor asks for {${formatResources(req.resources)}}, more than placement group ${groupId} can give it: ${which}`,
          { context: { field: 'resources' } },
        ),
      };
    }
    for (const i of candidates) {
      const a = g.allocations[i];
      if (!a || !fitsTotal(i)) continue;
      const r = this.ledger.place({
        resources: req.resources,
        strategy: 'DEFAULT',
        nodeAffinity: { nodeId: bundleKey(g.id, i), soft: false },
      });
      if (r.type !== 'placed') continue;
      const virtual = r.allocation.gpuIds;
      return {
        type: 'placed',
        allocation: {
          nodeId: a.nodeId,
          resources: r.allocation.resources,
          gpuIds: virtual.map((v) => a.gpuIds[v]!),
          bundle: { groupId: g.id, index: i, gpuIds: virtual },
        },
      };
    }
    const why =
      g.state === 'CREATED'
        ? 'its bundles have no room left'
        : `it is ${g.state.toLowerCase()}${g.reason ? ` (${g.reason})` : ''}`;
    return { type: 'wait', reason: `waiting for placement group ${g.id}: ${why}` };
  }

  release(a: Allocation): void {
    if (!a.bundle) {
      this.scheduler.release(a);
      return;
    }
    this.ledger.release({
      nodeId: bundleKey(a.bundle.groupId, a.bundle.index),
      resources: a.resources,
      gpuIds: a.bundle.gpuIds,
    });
  }

  reserve(a: Allocation): boolean {
    if (!a.bundle) return this.scheduler.reserve(a);
    const g = this.groups.get(a.bundle.groupId);
    if (g?.allocations[a.bundle.index]?.nodeId !== a.nodeId) return false;
    return this.ledger.reserve({
      nodeId: bundleKey(a.bundle.groupId, a.bundle.index),
      resources: a.resources,
      gpuIds: a.bundle.gpuIds,
    });
  }

  /** What is left free in each placed bundle, for status and tests. */
  bundleAvailable(g: PlacementGroupRecord, index: number): ResourceMap | undefined {
    const key = bundleKey(g.id, index);
    return this.ledger.hasNode(key) ? this.ledger.available(key) : undefined;
  }

  private openBundles(g: PlacementGroupRecord): void {
    g.allocations.forEach((a, i) => {
      const key = bundleKey(g.id, i);
      if (a && !this.ledger.hasNode(key)) this.ledger.addNode(key, g.bundles[i]!, a.gpuIds.length);
    });
  }

  private notify(g: PlacementGroupRecord): void {
    for (const w of this.watchers.get(g.id) ?? []) w();
    this.watchers.delete(g.id);
  }

  private byName(name: string, namespace: string): PlacementGroupRecord | undefined {
    for (const g of this.groups.values())
      if (g.name === name && g.namespace === namespace && g.state !== 'REMOVED') return g;
    return undefined;
  }

  private save(g: PlacementGroupRecord): Promise<void> {
    return this.hooks
      .save(groupRow(g))
      .catch((err) => this.log.warn({ err, groupId: g.id }, 'could not save a placement group'));
  }
}
