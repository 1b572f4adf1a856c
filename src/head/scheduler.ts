/**
 * The head's resource scheduler: pure, synchronous bookkeeping of what each node has free, and
 * the choice of a node for a request (Ray's hybrid DEFAULT policy, SPREAD, node affinity).
 * GPUs are tracked per device so that whole-GPU requests get free devices and fractional ones
 * share a single device. The ledger operations are in node-ledger.ts, the placement group planner
 * in bundle-planner.ts, and the messages for requests that do not fit in shortfall.ts.
 */
import { InvalidArgumentError, ResourcesInfeasibleError } from '../common/index.js';
import {
  type FixedMap,
  type ResourceMap,
  fromFixed,
  fromFixedMap,
  toFixedMap,
  validateResourceRequest,
} from './resources.js';
import { type BundlesRequest, planGang } from './bundle-planner.js';
import { GPU, ONE_GPU, type NodeState, fitsNow, fitsTotal, takeFrom, utilisationAfter } from './node-ledger.js';
import { infeasibleError, nodeNeverFits, nodeWaitReason, waitReason } from './shortfall.js';

/** DEFAULT packs nodes up to a utilisation threshold, then spreads; SPREAD always spreads. */
export type SchedulingStrategy = 'DEFAULT' | 'SPREAD';

/** Run on a given node: only there (`soft: false`) or there if it fits now (`soft: true`). */
export interface NodeAffinity {
  nodeId: string;
  soft: boolean;
}

/** What to place and how. */
export interface PlacementRequest {
  resources: ResourceMap;
  strategy: SchedulingStrategy;
  nodeAffinity?: NodeAffinity;
  /** Place inside a bundle of this placement group (bundleIndex -1: any bundle with room). */
  placementGroup?: { groupId: string; bundleIndex: number };
}

/** Resources taken from a node by {@link Scheduler.place}; hand it back to {@link Scheduler.release}. */
export interface Allocation {
  nodeId: string;
  resources: ResourceMap;
  /** Indices of the GPU devices assigned (one index for a fractional GPU). */
  gpuIds: number[];
  /** Set when taken from a placement group's bundle: which one, and the bundle-local device indices. */
  bundle?: { groupId: string; index: number; gpuIds: number[] };
}

/** Outcome of {@link Scheduler.place}. */
export type PlaceResult =
  | { type: 'placed'; allocation: Allocation }
  /** Some node could hold the request, but none has it free now. */
  | { type: 'wait'; reason: string }
  /** No node could ever hold the request. */
  | { type: 'infeasible'; error: ResourcesInfeasibleError };

/** Outcome of {@link Scheduler.placeBundles}: on 'placed', one allocation per bundle that was unplaced (undefined for the others). */
export type BundlesResult =
  | { type: 'placed'; allocations: Array<Allocation | undefined> }
  | { type: 'wait'; reason: string }
  | { type: 'infeasible'; error: ResourcesInfeasibleError };

/** Scheduler tuning; all optional. */
export interface SchedulerOptions {
  /**
   * DEFAULT packs onto nodes whose utilisation stays at or below this, then spreads, so small
   * clusters fill node by node while busy ones balance. Default 0.5 (Ray's default).
   */
  spreadThreshold?: number;
}

const STRATEGIES: readonly string[] = ['DEFAULT', 'SPREAD'];

/** Assigns resource requests to nodes. Pure bookkeeping: no I/O, no timers. */
export class Scheduler {
  private readonly threshold: number;
  private readonly byId = new Map<string, NodeState>();
  private nextSeq = 0;
  /** SPREAD round-robin cursor: ties go to the first tied node with seq >= this. */
  private spreadCursor = 0;

  constructor(options: SchedulerOptions = {}) {
    const t = options.spreadThreshold ?? 0.5;
    if (typeof t !== 'number' || !(t >= 0 && t <= 1)) {
      throw new InvalidArgumentError(`spreadThreshold must be a number in [0, 1], got ${String(t)}`, {
        context: { field: 'spreadThreshold' },
      });
    }
    this.threshold = t;
  }

  /**
   * Registers a node. `total.GPU` may be below `numGpuDevices` (some devices held back); when
   * it is absent the node offers all its devices.
   * @throws InvalidArgumentError for a duplicate id, a bad map, or more GPU than devices.
   */
  addNode(nodeId: string, total: ResourceMap, numGpuDevices: number): void {
    if (typeof nodeId !== 'string' || nodeId === '') {
      throw new InvalidArgumentError('nodeId must be a non-empty string', { context: { field: 'nodeId' } });
    }
    if (this.byId.has(nodeId)) {
      throw new InvalidArgumentError(`node ${nodeId} is already registered; remove it first`, {
        context: { field: 'nodeId', nodeId },
      });
    }
    if (!Number.isInteger(numGpuDevices) || numGpuDevices < 0) {
      throw new InvalidArgumentError(`numGpuDevices must be a whole number >= 0, got ${String(numGpuDevices)}`, {
        context: { field: 'numGpuDevices', nodeId },
      });
    }
    const isMap = total !== null && typeof total === 'object' && !Array.isArray(total);
    const raw = isMap && total.GPU === undefined ? { ...total, GPU: numGpuDevices } : total;
    const fixed = toFixedMap(validateResourceRequest(raw, 'total'));
    const gpu = fixed.get(GPU) ?? 0;
    if (gpu > numGpuDevices * ONE_GPU) {
      throw new InvalidArgumentError(
        `total.GPU is ${fromFixed(GPU, gpu)} but node ${nodeId} has only ${numGpuDevices} GPU device(s)`,
        { context: { field: 'total.GPU', nodeId } },
      );
    }
    this.byId.set(nodeId, {
      id: nodeId,
      seq: this.nextSeq++,
      total: fixed,
      avail: new Map(fixed),
      devices: new Array<number>(numGpuDevices).fill(ONE_GPU),
    });
  }

  /** Forgets a node and everything allocated on it. Unknown ids are ignored. */
  removeNode(nodeId: string): void {
    this.byId.delete(nodeId);
  }

  /** Whether the node is registered. */
  hasNode(nodeId: string): boolean {
    return this.byId.has(nodeId);
  }

  /**
   * Chooses a node for the request. On 'placed' the resources are already taken from the node.
   * @throws InvalidArgumentError if the request itself is malformed.
   */
  place(req: PlacementRequest): PlaceResult {
    if (!STRATEGIES.includes(req.strategy)) {
      throw new InvalidArgumentError(
        `strategy must be one of ${STRATEGIES.join(', ')}, got ${JSON.stringify(req.strategy)}`,
        { context: { field: 'strategy' } },
      );
    }
    const resources = validateResourceRequest(req.resources);
    const need = toFixedMap(resources);
    const affinity = req.nodeAffinity;
    if (affinity && !affinity.soft) return this.placeHard(affinity.nodeId, need, resources);
    if (affinity?.soft) {
      const node = this.byId.get(affinity.nodeId);
      if (node && fitsNow(node, need)) return this.take(node, need, resources);
    }
    const all = [...this.byId.values()];
    const feasible = all.filter((n) => fitsTotal(n, need));
    if (feasible.length === 0) return { type: 'infeasible', error: infeasibleError(need, all) };
    const ready = feasible.filter((n) => fitsNow(n, need));
    if (ready.length === 0) return { type: 'wait', reason: waitReason(need, feasible) };
    const node = req.strategy === 'SPREAD' ? this.chooseSpread(ready, need) : this.chooseDefault(ready, need);
    return this.take(node, need, resources);
  }

  /** Gives back what {@link place} took. Ignored if the node is gone; never exceeds the total. */
  release(allocation: Allocation): void {
    const node = this.byId.get(allocation.nodeId);
    if (!node) return;
    const back = toFixedMap(allocation.resources);
    for (const [name, units] of back) {
      const total = node.total.get(name) ?? 0;
      // Clamped so a double release cannot make the node look bigger than it is.
      node.avail.set(name, Math.min(total, (node.avail.get(name) ?? 0) + units));
    }
    const gpu = back.get(GPU) ?? 0;
    const perDevice = Math.min(gpu, ONE_GPU);
    for (const id of allocation.gpuIds) {
      if (id >= 0 && id < node.devices.length) node.devices[id] = Math.min(ONE_GPU, node.devices[id]! + perDevice);
    }
  }

  /**
   * Takes exactly this allocation again (a restarted head rebuilding what its live actors hold).
   * Returns false, taking nothing, when the node is unknown or cannot hold it.
   */
  reserve(allocation: Allocation): boolean {
    const node = this.byId.get(allocation.nodeId);
    if (!node) return false;
    const need = toFixedMap(allocation.resources);
    for (const [name, units] of need) if ((node.avail.get(name) ?? 0) < units) return false;
    const gpu = need.get(GPU) ?? 0;
    const perDevice = Math.min(gpu, ONE_GPU);
    for (const id of allocation.gpuIds) {
      if (id < 0 || id >= node.devices.length || node.devices[id]! < perDevice) return false;
    }
    for (const [name, units] of need) node.avail.set(name, (node.avail.get(name) ?? 0) - units);
    for (const id of allocation.gpuIds) node.devices[id] = node.devices[id]! - perDevice;
    return true;
  }

  /**
   * Reserves every unplaced bundle of a gang, or none: the choice is made on copies of the
   * ledgers (phase one), and only a complete assignment is taken from the real ones (phase two).
   * Nothing else runs in between, so concurrent requests never overcommit a node.
   */
  placeBundles(req: BundlesRequest): BundlesResult {
    const plan = planGang([...this.byId.values()], req);
    if (plan.type !== 'plan') return plan;
    const { bundles, todo, nodeOf } = plan;
    const allocations: Array<Allocation | undefined> = bundles.map(() => undefined);
    for (const i of todo) {
      const node = this.byId.get(nodeOf.get(i)!)!;
      if (!fitsNow(node, bundles[i]!)) {
        // Cannot happen (the plan ran on exact copies); undo rather than overcommit.
        for (const a of allocations) if (a) this.release(a);
        return { type: 'wait', reason: 'the cluster changed while the group was being placed' };
      }
      const taken = this.take(node, bundles[i]!, fromFixedMap(bundles[i]!)) as { allocation: Allocation };
      allocations[i] = taken.allocation;
    }
    return { type: 'placed', allocations };
  }

  /** What the node has free now (every resource it has, zeros included). */
  available(nodeId: string): ResourceMap {
    return fromFixedMap(this.node(nodeId).avail);
  }

  /** What the node has in all. */
  total(nodeId: string): ResourceMap {
    return fromFixedMap(this.node(nodeId).total);
  }

  /** All nodes in the order they were added. */
  nodes(): Array<{ nodeId: string; total: ResourceMap; available: ResourceMap }> {
    return [...this.byId.values()].map((n) => ({
      nodeId: n.id,
      total: fromFixedMap(n.total),
      available: fromFixedMap(n.avail),
    }));
  }

  private node(nodeId: string): NodeState {
    const node = this.byId.get(nodeId);
    if (!node) {
      throw new InvalidArgumentError(`node ${nodeId} is not registered with the scheduler`, {
        context: { field: 'nodeId', nodeId },
      });
    }
    return node;
  }

  private placeHard(nodeId: string, need: FixedMap, resources: ResourceMap): PlaceResult {
    const node = this.byId.get(nodeId);
    if (!node) {
      const error = new ResourcesInfeasibleError(
        `node affinity requires node ${nodeId}, which is not in the cluster; ` +
          'use soft affinity or pick a live node',
        { context: { nodeId } },
      );
      return { type: 'infeasible', error };
    }
    if (!fitsTotal(node, need)) return { type: 'infeasible', error: nodeNeverFits(need, node) };
    if (fitsNow(node, need)) return this.take(node, need, resources);
    return { type: 'wait', reason: nodeWaitReason(need, node) };
  }

  /** Hybrid: the first node (in order added) that stays at or under the threshold, else the least used. */
  private chooseDefault(ready: NodeState[], need: FixedMap): NodeState {
    if (need.size === 0) return ready[0]!;
    let best = ready[0]!;
    let bestUtil = Infinity;
    for (const node of ready) {
      const u = utilisationAfter(node, need);
      if (u <= this.threshold) return node;
      if (u < bestUtil) [best, bestUtil] = [node, u];
    }
    return best;
  }

  /** The least used node after placement; ties go round-robin so equal nodes take turns. */
  private chooseSpread(ready: NodeState[], need: FixedMap): NodeState {
    const utils = ready.map((n) => utilisationAfter(n, need));
    // Exact ties are reliable: utilisations are quotients of exact integers, correctly rounded.
    const low = Math.min(...utils);
    const tied = ready.filter((_, i) => utils[i] === low);
    const pick = tied.find((n) => n.seq >= this.spreadCursor) ?? tied[0]!;
    this.spreadCursor = pick.seq + 1;
    return pick;
  }

  private take(node: NodeState, need: FixedMap, resources: ResourceMap): PlaceResult {
    const gpuIds = takeFrom(node, need);
    return { type: 'placed', allocation: { nodeId: node.id, resources: { ...resources }, gpuIds } };
  }
}
