/**
 * The gang planner for placement groups: assigns every unplaced bundle of a group to a node under
 * the group's strategy (Ray's PACK, SPREAD, STRICT_PACK, STRICT_SPREAD), on copies of the ledgers,
 * and says why when no assignment exists now or ever. Pure; the scheduler takes a plan's resources.
 */
import { ResourcesInfeasibleError } from '../common/index.js';
import { type FixedMap, type ResourceMap, toFixedMap } from './resources.js';
import {
  GPU,
  type NodeState,
  copyEmpty,
  copyNow,
  fitsNow,
  fitsTotal,
  sumMaps,
  takeFrom,
  utilisation,
} from './node-ledger.js';
import { braces, infeasibleError } from './shortfall.js';

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

/** A plan for the bundles in `todo` (bundle index → node id), or why there is none. */
export type GangPlan =
  | { type: 'plan'; bundles: FixedMap[]; todo: number[]; nodeOf: Map<number, string> }
  | { type: 'wait'; reason: string }
  | { type: 'infeasible'; error: ResourcesInfeasibleError };

const DFS_STEPS = 20_000;

/** Plans the gang on copies of `nodes` as they are now; if that fails, tells "not now" from "never". */
export function planGang(nodes: NodeState[], req: BundlesRequest): GangPlan {
  const bundles = req.bundles.map((b) => toFixedMap(b));
  const placed = req.placed ?? [];
  const todo = bundles.map((_, i) => i).filter((i) => placed[i] === undefined);
  if (todo.length === 0) return { type: 'plan', bundles, todo, nodeOf: new Map() };
  const now = planBundles(nodes.map(copyNow), bundles, todo, placed, req.strategy);
  if (typeof now !== 'string') return { type: 'plan', bundles, todo, nodeOf: now };
  const ever = planBundles(nodes.map(copyEmpty), bundles, todo, placed, req.strategy);
  if (typeof ever === 'string') {
    return { type: 'infeasible', error: neverPlaced(nodes, req.strategy, bundles, todo, placed, ever) };
  }
  return { type: 'wait', reason: now };
}

/** Why the gang can never be placed: a bundle no node holds, too few nodes, or no node for all. */
function neverPlaced(
  all: NodeState[],
  strategy: BundleStrategy,
  bundles: FixedMap[],
  todo: number[],
  placed: ReadonlyArray<string | undefined>,
  why: string,
): ResourcesInfeasibleError {
  for (const i of todo) {
    if (all.some((n) => fitsTotal(n, bundles[i]!))) continue;
    const e = infeasibleError(bundles[i]!, all);
    return new ResourcesInfeasibleError(
      `${strategy} placement group: bundle ${i} ${e.message.replace(/^no node can ever satisfy /, 'needs ')}`,
      {
        context: { ...e.context, field: `bundles[${i}]` },
      },
    );
  }
  const used = new Set(placed.filter((p): p is string => p !== undefined));
  if (strategy === 'STRICT_SPREAD') {
    const capable = all.filter((n) => !used.has(n.id) && todo.some((i) => fitsTotal(n, bundles[i]!)));
    if (capable.length < todo.length) {
      return new ResourcesInfeasibleError(
        `STRICT_SPREAD placement group needs ${todo.length} distinct nodes, one per bundle, ` +
          `but only ${capable.length} of the cluster's ${all.length} node(s) can hold one of its bundles` +
          (capable.length ? ` (${capable.map((n) => n.id).join(', ')})` : ''),
        { context: { field: 'strategy', missing: 'nodes' } },
      );
    }
  }
  if (strategy === 'STRICT_PACK') {
    const need = sumMaps(todo.map((i) => bundles[i]!));
    const e = infeasibleError(need, all);
    const what = e.message.replace(/^no node can ever satisfy /, 'that is ');
    const together = `all ${todo.length} bundles together on one node`;
    return new ResourcesInfeasibleError(`STRICT_PACK placement group needs ${together}: ${what}`, {
      context: { ...e.context, field: 'strategy' },
    });
  }
  return new ResourcesInfeasibleError(`${strategy} placement group can never be placed on this cluster: ${why}`, {
    context: { field: 'strategy' },
  });
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
        const takeIfFits = (i: number): boolean => {
          if (!fitsNow(trial, bundles[i]!)) return false;
          takeFrom(trial, bundles[i]!);
          return true;
        };
        if (order.every(takeIfFits)) {
          for (const i of order) out.set(i, n.id);
          return out;
        }
      }
      const all = braces(sumMaps(order.map((i) => bundles[i]!)));
      return `no node has ${all} free together for all ${order.length} bundle(s)`;
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
      if (free.length < order.length) {
        const why = `only ${free.length} node(s) are not used by the group`;
        return `${order.length} bundle(s) need distinct nodes but ${why}`;
      }
      let steps = 0;
      const taken = new Set<string>();
      const dfs = (k: number): boolean => {
        if (k === order.length) return true;
        if (++steps > DFS_STEPS) return false;
        const i = order[k]!;
        const fit = free
          .filter((n) => !taken.has(n.id) && fitsNow(n, bundles[i]!))
          .sort((a, b) => utilisation(a) - utilisation(b) || a.seq - b.seq);
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
        for (const [i, id] of out) takeFrom(byId.get(id)!, bundles[i]!);
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
function greedy(
  nodes: NodeState[],
  bundles: FixedMap[],
  order: number[],
  used: Set<string>,
  toward: 1 | -1,
): Map<number, string> | string {
  const out = new Map<number, string>();
  for (const i of order) {
    const fit = nodes.filter((n) => fitsNow(n, bundles[i]!));
    if (fit.length === 0) return `bundle ${i} ${braces(bundles[i]!)} fits on no node now`;
    const pick = fit.sort(
      (a, b) =>
        toward * (Number(used.has(b.id)) - Number(used.has(a.id)) || utilisation(b) - utilisation(a)) || a.seq - b.seq,
    )[0]!;
    takeFrom(pick, bundles[i]!);
    used.add(pick.id);
    out.set(i, pick.id);
  }
  return out;
}
