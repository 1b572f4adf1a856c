/**
 * One node's resource ledger as the scheduler keeps it, and the pure operations on it that the
 * scheduler, the bundle planner and the shortfall messages share: does a request fit (in all, now),
 * how full is the node, take what a request needs. GPUs are tracked per device.
 */
import { type FixedMap, UNITS } from './resources.js';

export const GPU = 'GPU';
/** Fixed-point units of one whole GPU device. */
export const ONE_GPU = UNITS;

export interface NodeState {
  readonly id: string;
  /** Order added; DEFAULT scans in this order and SPREAD's round-robin follows it. */
  readonly seq: number;
  readonly total: FixedMap;
  readonly avail: FixedMap;
  /** Free fixed-point units per GPU device, each at most ONE_GPU. */
  readonly devices: number[];
}

export function fitsTotal(node: NodeState, need: FixedMap): boolean {
  // The aggregate is enough: total GPU never exceeds the device count (checked in addNode).
  for (const [name, units] of need) if ((node.total.get(name) ?? 0) < units) return false;
  return true;
}

export function fitsNow(node: NodeState, need: FixedMap): boolean {
  for (const [name, units] of need) if (freeFor(node, name, units) < units) return false;
  return true;
}

/** How much of `name` a request of `units` could use on the node now, counting GPU devices. */
export function freeFor(node: NodeState, name: string, units: number): number {
  const avail = node.avail.get(name) ?? 0;
  if (name !== GPU) return avail;
  const usable =
    units >= ONE_GPU ? node.devices.filter((d) => d === ONE_GPU).length * ONE_GPU : Math.max(0, ...node.devices);
  return Math.min(avail, usable);
}

/** Takes `need` from the node (which must fit it now); returns the GPU devices assigned. */
export function takeFrom(node: NodeState, need: FixedMap): number[] {
  for (const [name, units] of need) node.avail.set(name, node.avail.get(name)! - units);
  return takeGpus(node, need.get(GPU) ?? 0);
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

/** How full a node is (0..1, the most used resource); packing prefers fuller nodes, spreading emptier ones. */
export function utilisation(n: NodeState): number {
  let max = 0;
  for (const [name, total] of n.total) max = Math.max(max, (total - n.avail.get(name)!) / total);
  return max;
}

/** max over resources the node has of used/total, as if `need` were placed. */
export function utilisationAfter(node: NodeState, need: FixedMap): number {
  let max = 0;
  for (const [name, total] of node.total) {
    const used = total - node.avail.get(name)! + (need.get(name) ?? 0);
    max = Math.max(max, used / total);
  }
  return max;
}

/** A copy of a node's ledger as it is now (to plan on without touching the real one). */
export function copyNow(n: NodeState): NodeState {
  return { id: n.id, seq: n.seq, total: n.total, avail: new Map(n.avail), devices: [...n.devices] };
}

/** A copy of a node's ledger as if empty (to tell "not now" from "never"). */
export function copyEmpty(n: NodeState): NodeState {
  return { id: n.id, seq: n.seq, total: n.total, avail: new Map(n.total), devices: n.devices.map(() => ONE_GPU) };
}

export function sumMaps(maps: FixedMap[]): FixedMap {
  const out: FixedMap = new Map();
  for (const m of maps) for (const [k, v] of m) out.set(k, (out.get(k) ?? 0) + v);
  return out;
}
