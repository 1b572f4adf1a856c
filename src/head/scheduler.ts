/**
 * The head's resource scheduler: pure, synchronous bookkeeping of what each node has free, and
 * the choice of a node for a request (Ray's hybrid DEFAULT policy, SPREAD, node affinity).
 * GPUs are tracked per device so that whole-GPU requests get free devices and fractional ones
 * share a single device.
 */
import { InvalidArgumentError, ResourcesInfeasibleError } from '../common/errors.js';
import {
  type FixedMap,
  type ResourceMap,
  UNITS,
  compareResourceNames,
  formatAmount,
  formatResources,
  fromFixed,
  fromFixedMap,
  toFixedMap,
  validateResourceRequest,
} from './resources.js';

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

/** Placement group strategies, with Ray's meaning. */
export type BundleStrategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';
export const BUNDLE_STRATEGIES: readonly BundleStrategy[] = ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD'];

/**
 * A gang of bundles to reserve together. `placed[i]` is the node bundle i already holds (a group
 * being rescheduled after a node died keeps its live bundles); only the others are placed.
 */
export interface BundlesRequest {
  bundles: ResourceMap[];
  strategy: BundleStrategy;
  placed?: ReadonlyArray<string | undefined>;
}

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

const GPU = 'GPU';
const ONE_GPU = UNITS;
const STRATEGIES: readonly string[] = ['DEFAULT', 'SPREAD'];

interface NodeState {
  readonly id: string;
  /** Order added; DEFAULT scans in this order and SPREAD's round-robin follows it. */
  readonly seq: number;
  readonly total: FixedMap;
  readonly avail: FixedMap;
  /** Free fixed-point units per GPU device, each at most ONE_GPU. */
  readonly devices: number[];
}

interface Shortfall {
  name: string;
  needs: number;
  has: number;
}

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
      throw new InvalidArgumentError(
        `numGpuDevices must be a whole number >= 0, got ${String(numGpuDevices)}`,
        { context: { field: 'numGpuDevices', nodeId } },
      );
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
    const perDevice = gpu >= ONE_GPU ? ONE_GPU : gpu;
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
    const perDevice = gpu >= ONE_GPU ? ONE_GPU : gpu;
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
    const bundles = req.bundles.map((b) => toFixedMap(b));
    const placed = req.placed ?? [];
    const todo = bundles.map((_, i) => i).filter((i) => placed[i] === undefined);
    if (todo.length === 0) return { type: 'placed', allocations: bundles.map(() => undefined) };
    const all = [...this.byId.values()];
    const now = planBundles(all.map(copyNow), bundles, todo, placed, req.strategy);
    if (typeof now === 'string') {
      const ever = planBundles(all.map(copyEmpty), bundles, todo, placed, req.strategy);
      if (typeof ever === 'string') return { type: 'infeasible', error: this.bundlesInfeasible(req.strategy, bundles, todo, placed, ever) };
      return { type: 'wait', reason: now };
    }
    const allocations: Array<Allocation | undefined> = bundles.map(() => undefined);
    for (const i of todo) {
      const node = this.byId.get(now.get(i)!)!;
      if (!fitsNow(node, bundles[i]!)) {
        // Cannot happen (the plan ran on exact copies); undo rather than overcommit.
        for (const a of allocations) if (a) this.release(a);
        return { type: 'wait', reason: 'the cluster changed while the group was being placed' };
      }
      allocations[i] = (this.take(node, bundles[i]!, fromFixedMap(bundles[i]!)) as { allocation: Allocation }).allocation;
    }
    return { type: 'placed', allocations };
  }

  private bundlesInfeasible(
    strategy: BundleStrategy,
    bundles: FixedMap[],
    todo: number[],
    placed: ReadonlyArray<string | undefined>,
    why: string,
  ): ResourcesInfeasibleError {
    const all = [...this.byId.values()];
    for (const i of todo) {
      if (all.some((n) => fitsTotal(n, bundles[i]!))) continue;
      const e = infeasibleError(bundles[i]!, all);
      return new ResourcesInfeasibleError(`${strategy} placement group: bundle ${i} ${e.message.replace(/^no node can ever satisfy /, 'needs ')}`, {
        context: { ...e.context, field: `bundles[${i}]` },
      });
    }
    const used = new Set(placed.filter((p): p is string => p !== undefined));
    if (strategy === 'STRICT_SPREAD') {
      const capable = all.filter((n) => !used.has(n.id) && todo.some((i) => fitsTotal(n, bundles[i]!)));
      if (capable.length < todo.length) {
        return new ResourcesInfeasibleError(
          `STRICT_SPREAD placement group needs ${todo.length} distinct nodes, one per bundle, but only ${capable.length} of the cluster's ` +
            `${all.length} node(s) can hold one of its bundles${capable.length ? ` (${capable.map((n) => n.id).join(', ')})` : ''}`,
          { context: { field: 'strategy', missing: 'nodes' } },
        );
      }
    }
    if (strategy === 'STRICT_PACK') {
      const need = sum(todo.map((i) => bundles[i]!));
      const e = infeasibleError(need, all);
      return new ResourcesInfeasibleError(`STRICT_PACK placement group needs all ${todo.length} bundles together on one node: ${e.message.replace(/^no node can ever satisfy /, 'that is ')}`, {
        context: { ...e.context, field: 'strategy' },
      });
    }
    return new ResourcesInfeasibleError(`${strategy} placement group can never be placed on this cluster: ${why}`, { context: { field: 'strategy' } });
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
    if (!fitsTotal(node, need)) {
      const short = shortfalls(need, (name) => node.total.get(name) ?? 0);
      const error = new ResourcesInfeasibleError(
        `node ${nodeId} can never satisfy ${braces(need)}: missing ` +
          joinAnd(short.map((s) => `${s.name} (needs ${amount(s.name, s.needs)}, it has ${amount(s.name, s.has)})`)) +
          `; it has ${braces(node.total)}`,
        { context: { nodeId, missing: missingList(short) } },
      );
      return { type: 'infeasible', error };
    }
    if (fitsNow(node, need)) return this.take(node, need, resources);
    const short = shortfalls(need, (name) => freeFor(node, name, need.get(name)!));
    const parts = short.map((s) => `${s.name}: ${amount(s.name, s.needs)} (free now ${amount(s.name, s.has)})`);
    return { type: 'wait', reason: `waiting for ${joinAnd(parts)} on node ${nodeId}` };
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
    for (const [name, units] of need) node.avail.set(name, node.avail.get(name)! - units);
    const gpuIds = takeGpus(node, need.get(GPU) ?? 0);
    return { type: 'placed', allocation: { nodeId: node.id, resources: { ...resources }, gpuIds } };
  }
}

function fitsTotal(node: NodeState, need: FixedMap): boolean {
  // The aggregate is enough: total GPU never exceeds the device count (checked in addNode).
  for (const [name, units] of need) if ((node.total.get(name) ?? 0) < units) return false;
  return true;
}

function fitsNow(node: NodeState, need: FixedMap): boolean {
  for (const [name, units] of need) if (freeFor(node, name, units) < units) return false;
  return true;
}

/** How much of `name` a request of `units` could use on the node now, counting GPU devices. */
function freeFor(node: NodeState, name: string, units: number): number {
  const avail = node.avail.get(name) ?? 0;
  if (name !== GPU) return avail;
  const usable =
    units >= ONE_GPU
      ? node.devices.filter((d) => d === ONE_GPU).length * ONE_GPU
      : Math.max(0, ...node.devices);
  return Math.min(avail, usable);
}

/** Whole GPUs take the lowest-indexed wholly free devices; a fraction takes the tightest fit. */
function takeGpus(node: NodeState, units: number): number[] {
  if (units === 0) return [];
  const ids: number[] = [];
  if (units >= ONE_GPU) {
    for (let i = 0; i < node.devices.length && ids.length < units / ONE_GPU; i++) {
      if (node.devices[i] === ONE_GPU) ids.push(i);
    }
    for (const i of ids) node.devices[i] = 0;
    return ids;
  }
  let best = -1;
  node.devices.forEach((free, i) => {
    if (free >= units && (best === -1 || free < node.devices[best]!)) best = i;
  });
  node.devices[best] -= units;
  return [best];
}

/** max over resources the node has of used/total, as if `need` were placed. */
function utilisationAfter(node: NodeState, need: FixedMap): number {
  let max = 0;
  for (const [name, total] of node.total) {
    const used = total - node.avail.get(name)! + (need.get(name) ?? 0);
    max = Math.max(max, used / total);
  }
  return max;
}

/** Resources where `has(name)` falls short, most severe first (a GPU-less cluster before a small one). */
function shortfalls(need: FixedMap, has: (name: string) => number): Shortfall[] {
  const out: Shortfall[] = [];
  for (const [name, needs] of need) {
    const h = has(name);
    if (h < needs) out.push({ name, needs, has: h });
  }
  return out.sort((a, b) => a.has / a.needs - b.has / b.needs || compareResourceNames(a.name, b.name));
}

function infeasibleError(need: FixedMap, nodes: NodeState[]): ResourcesInfeasibleError {
  const what = `no node can ever satisfy ${braces(need)}`;
  if (nodes.length === 0) {
    return new ResourcesInfeasibleError(`${what}: the cluster has no nodes; start a worker node and retry`, {
      context: { missing: [...need.keys()].sort().join(',') },
    });
  }
  const most = (name: string): number => Math.max(...nodes.map((n) => n.total.get(name) ?? 0));
  const largest = [...nodes].sort(
    (a, b) =>
      (b.total.get('CPU') ?? 0) - (a.total.get('CPU') ?? 0) ||
      (b.total.get(GPU) ?? 0) - (a.total.get(GPU) ?? 0) ||
      (b.total.get('memory') ?? 0) - (a.total.get('memory') ?? 0) ||
      a.seq - b.seq,
  )[0]!;
  const tail = `; largest node ${largest.id} has ${braces(largest.total)}`;
  const short = shortfalls(need, most);
  if (short.length > 0) {
    const parts = short.map(
      (s) => `${s.name} (needs ${amount(s.name, s.needs)}, the most any node has is ${amount(s.name, s.has)})`,
    );
    return new ResourcesInfeasibleError(`${what}: missing ${joinAnd(parts)}${tail}`, {
      context: { missing: missingList(short) },
    });
  }
  // Every resource exists somewhere, just not together on one node.
  const onLargest = shortfalls(need, (name) => largest.total.get(name) ?? 0);
  return new ResourcesInfeasibleError(`${what}: no single node has all of it together${tail}`, {
    context: { missing: missingList(onLargest) },
  });
}

function waitReason(need: FixedMap, feasible: NodeState[]): string {
  const short = shortfalls(need, (name) => Math.max(...feasible.map((n) => freeFor(n, name, need.get(name)!))));
  if (short.length === 0) return `waiting for ${braces(need)} to be free together on one node`;
  const parts = short.map(
    (s) => `${s.name}: ${amount(s.name, s.needs)} (free now at most ${amount(s.name, s.has)} on any node)`,
  );
  return `waiting for ${joinAnd(parts)}`;
}

function amount(name: string, units: number): string {
  return formatAmount(name, fromFixed(name, units));
}

function braces(m: FixedMap): string {
  return `{${formatResources(fromFixedMap(m))}}`;
}

function missingList(short: Shortfall[]): string {
  return short
    .map((s) => s.name)
    .sort()
    .join(',');
}

function joinAnd(parts: string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** A copy of a node's ledger as it is now (to plan on without touching the real one). */
function copyNow(n: NodeState): NodeState {
  return { id: n.id, seq: n.seq, total: n.total, avail: new Map(n.avail), devices: [...n.devices] };
}

/** A copy of a node's ledger as if empty (to tell "not now" from "never"). */
function copyEmpty(n: NodeState): NodeState {
  return { id: n.id, seq: n.seq, total: n.total, avail: new Map(n.total), devices: n.devices.map(() => ONE_GPU) };
}

function simTake(n: NodeState, need: FixedMap): void {
  for (const [name, units] of need) n.avail.set(name, n.avail.get(name)! - units);
  takeGpus(n, need.get(GPU) ?? 0);
}

/** Largest bundles first, so the hard-to-place ones pick before the easy ones fill the nodes. */
function bySize(bundles: FixedMap[], todo: number[]): number[] {
  const weight = (m: FixedMap): number => {
    let w = 0;
    for (const [name, units] of m) w += name === GPU ? units * 1000 : name === 'memory' ? units / 2 ** 20 : units;
    return w;
  };
  return [...todo].sort((a, b) => weight(bundles[b]!) - weight(bundles[a]!) || a - b);
}

/** How full a node is (0..1, the most used resource); packing prefers fuller nodes, spreading emptier ones. */
function utilisation(n: NodeState): number {
  let max = 0;
  for (const [name, total] of n.total) max = Math.max(max, (total - n.avail.get(name)!) / total);
  return max;
}

const DFS_STEPS = 20_000;

/**
 * Assigns the bundles in `todo` to nodes under the strategy, on the given (copied) ledgers, which
 * it consumes. Returns bundle → node id, or why no assignment exists.
 */
function planBundles(
  nodes: NodeState[],
  bundles: FixedMap[],
  todo: number[],
  placed: ReadonlyArray<string | undefined>,
  strategy: BundleStrategy,
): Map<number, string> | string {
  if (nodes.length === 0) return 'the cluster has no nodes';
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const order = bySize(bundles, todo);
  const out = new Map<number, string>();
  const used = new Set(placed.filter((p): p is string => p !== undefined));
  switch (strategy) {
    case 'STRICT_PACK': {
      // Every bundle on one node: the node the live ones hold, or any that takes them all.
      const candidates = used.size > 0 ? [...used].map((id) => byId.get(id)).filter((n): n is NodeState => !!n) : nodes;
      for (const n of [...candidates].sort((a, b) => utilisation(b) - utilisation(a) || a.seq - b.seq)) {
        const trial = copyNow(n);
        if (order.every((i) => fitsNow(trial, bundles[i]!) && (simTake(trial, bundles[i]!), true))) {
          for (const i of order) out.set(i, n.id);
          return out;
        }
      }
      return `no node has ${braces(sum(order.map((i) => bundles[i]!)))} free together for all ${order.length} bundle(s)`;
    }
    case 'PACK': {
      const whole = planBundles(nodes.map(copyNow), bundles, todo, placed, 'STRICT_PACK');
      if (typeof whole !== 'string' && used.size <= 1) return whole;
      // Nodes the group already uses first, then the fullest: as few nodes as possible.
      return greedy(nodes, bundles, order, used, 1);
    }
    case 'SPREAD':
      // Nodes the group does not use yet first, then the emptiest.
      return greedy(nodes, bundles, order, used, -1);
    case 'STRICT_SPREAD': {
      // Distinct nodes, found by depth-first search (bundles largest first, emptiest nodes first).
      const free = nodes.filter((n) => !used.has(n.id));
      if (free.length < order.length) return `${order.length} bundle(s) need distinct nodes but only ${free.length} node(s) are not used by the group`;
      let steps = 0;
      const taken = new Set<string>();
      const dfs = (k: number): boolean => {
        if (k === order.length) return true;
        if (++steps > DFS_STEPS) return false;
        const i = order[k]!;
        const fit = free.filter((n) => !taken.has(n.id) && fitsNow(n, bundles[i]!)).sort((a, b) => utilisation(a) - utilisation(b) || a.seq - b.seq);
        for (const n of fit) {
          taken.add(n.id);
          out.set(i, n.id);
          if (dfs(k + 1)) return true;
          taken.delete(n.id);
          out.delete(i);
        }
        return false;
      };
      if (dfs(0)) {
        for (const [i, id] of out) simTake(byId.get(id)!, bundles[i]!);
        return out;
      }
      return `no ${order.length} distinct node(s) have the bundles free now`;
    }
  }
}

/**
 * Best-effort placement, bundle by bundle: `toward` 1 prefers nodes the group already uses and
 * fuller ones (PACK), -1 nodes it does not use yet and emptier ones (SPREAD).
 */
function greedy(nodes: NodeState[], bundles: FixedMap[], order: number[], used: Set<string>, toward: 1 | -1): Map<number, string> | string {
  const out = new Map<number, string>();
  for (const i of order) {
    const fit = nodes.filter((n) => fitsNow(n, bundles[i]!));
    if (fit.length === 0) return `bundle ${i} ${braces(bundles[i]!)} fits on no node now`;
    const pick = fit.sort(
      (a, b) => toward * (Number(used.has(b.id)) - Number(used.has(a.id)) || utilisation(b) - utilisation(a)) || a.seq - b.seq,
    )[0]!;
    simTake(pick, bundles[i]!);
    used.add(pick.id);
    out.set(i, pick.id);
  }
  return out;
}

function sum(maps: FixedMap[]): FixedMap {
  const out: FixedMap = new Map();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}
