/**
 * The scheduler's messages for a request that does not fit: which resources fall short, by how
 * much, and against what ("missing GPU (needs 2, the most any node has is 1)"), most severe first.
 * Pure functions of the ledgers; the `missing` context field lists the short resource names.
 */
import { ResourcesInfeasibleError } from '../common/index.js';
import {
  type FixedMap,
  compareResourceNames,
  formatAmount,
  formatResources,
  fromFixed,
  fromFixedMap,
} from './resources.js';
import { GPU, type NodeState, freeFor } from './node-ledger.js';

interface Shortfall {
  name: string;
  needs: number;
  has: number;
}

/** Why no node of the cluster can ever hold `need`. */
export function infeasibleError(need: FixedMap, nodes: NodeState[]): ResourcesInfeasibleError {
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

/** What a request that some node could hold is waiting for. */
export function waitReason(need: FixedMap, feasible: NodeState[]): string {
  const short = shortfalls(need, (name) => Math.max(...feasible.map((n) => freeFor(n, name, need.get(name)!))));
  if (short.length === 0) return `waiting for ${braces(need)} to be free together on one node`;
  const parts = short.map(
    (s) => `${s.name}: ${amount(s.name, s.needs)} (free now at most ${amount(s.name, s.has)} on any node)`,
  );
  return `waiting for ${joinAnd(parts)}`;
}

/** Why the node a hard affinity names can never hold `need`. */
export function nodeNeverFits(need: FixedMap, node: NodeState): ResourcesInfeasibleError {
  const short = shortfalls(need, (name) => node.total.get(name) ?? 0);
  return new ResourcesInfeasibleError(
    `node ${node.id} can never satisfy ${braces(need)}: missing ` +
      joinAnd(short.map((s) => `${s.name} (needs ${amount(s.name, s.needs)}, it has ${amount(s.name, s.has)})`)) +
      `; it has ${braces(node.total)}`,
    { context: { nodeId: node.id, missing: missingList(short) } },
  );
}

/** What a request bound to this node is waiting for there. */
export function nodeWaitReason(need: FixedMap, node: NodeState): string {
  const short = shortfalls(need, (name) => freeFor(node, name, need.get(name)!));
  const parts = short.map((s) => `${s.name}: ${amount(s.name, s.needs)} (free now ${amount(s.name, s.has)})`);
  return `waiting for ${joinAnd(parts)} on node ${node.id}`;
}

/** A fixed-point map as messages show it: `{CPU: 2, GPU: 1}`. */
export function braces(m: FixedMap): string {
  return `{${formatResources(fromFixedMap(m))}}`;
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

function amount(name: string, units: number): string {
  return formatAmount(name, fromFixed(name, units));
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
