/** A placement group as the head keeps it, and its row in the state store. */
import { StateCorruptError } from '../common/index.js';
import type { OpaqueRow } from '../state/index.js';
import { BUNDLE_STRATEGIES, type BundleStrategy } from './bundle-planner.js';
import type { ResourceMap } from './resources.js';
import type { Allocation } from './scheduler.js';

export type PlacementGroupState = 'PENDING' | 'CREATED' | 'RESCHEDULING' | 'REMOVED';

export interface PlacementGroupRecord {
  readonly id: string;
  readonly name: string;
  readonly namespace: string;
  readonly strategy: BundleStrategy;
  readonly bundles: ResourceMap[];
  /** Where each bundle is reserved; undefined while it is not placed. */
  allocations: Array<Allocation | undefined>;
  state: PlacementGroupState;
  /** Why it waits, or why it was removed. */
  reason: string;
  readonly ownerId: string;
  readonly lifetime: '' | 'detached';
  readonly createdAtMs: number;
}

export function groupRow(g: PlacementGroupRecord): OpaqueRow {
  return {
    id: g.id,
    name: g.name,
    namespace: g.namespace,
    strategy: g.strategy,
    bundles: g.bundles,
    allocations: g.allocations.map((a) => (a ? { nodeId: a.nodeId, resources: a.resources, gpuIds: a.gpuIds } : null)),
    state: g.state,
    reason: g.reason,
    ownerId: g.ownerId,
    lifetime: g.lifetime,
    createdAtMs: g.createdAtMs,
  };
}

export function groupFromRow(row: OpaqueRow): PlacementGroupRecord {
  const r = row as unknown as Omit<PlacementGroupRecord, 'allocations'> & { allocations: Array<Allocation | null> };
  if (!Array.isArray(r.bundles) || !Array.isArray(r.allocations) || !BUNDLE_STRATEGIES.includes(r.strategy)) {
    throw new StateCorruptError(`placement group row ${row.id} is malformed (bundles, allocations or strategy)`, {
      context: { key: `placementGroups/${row.id}` },
    });
  }
  return { ...r, allocations: r.allocations.map((a) => a ?? undefined) };
}
