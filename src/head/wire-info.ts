import type { ActorInfo } from '../generated/troupe/v1/ActorInfo.js';
import type { PlacementGroupInfo } from '../generated/troupe/v1/PlacementGroupInfo.js';
import type { ActorRecord } from './actor-directory.js';
import type { PlacementGroupRecord } from './placement-group-record.js';

/** An actor record as the `troupe.v1.ActorInfo` message callers receive. */
export function actorInfo(a: ActorRecord): ActorInfo {
  return {
    actorId: a.actorId,
    className: a.spec.exportName,
    name: a.spec.name,
    namespace: a.spec.namespace,
    state: a.state,
    nodeId: a.nodeId,
    address: a.address,
    pid: a.pid,
    resources: { amounts: a.spec.resources },
    gpuIds: a.allocation?.gpuIds ?? [],
    deathCause: a.death ? JSON.stringify(a.death) : '',
    deathError: a.deathError ?? null,
    isolation: a.spec.isolation,
    createdAtMs: a.createdAtMs,
    maxRestarts: a.spec.maxRestarts,
    maxTaskRetries: a.spec.maxTaskRetries,
    numRestarts: a.numRestarts,
    ownerId: a.ownerId,
    lifetime: a.spec.lifetime,
    placementGroupId: a.spec.placementGroupId,
    bundleIndex: a.allocation?.bundle?.index ?? a.spec.bundleIndex,
  };
}

/** A placement group record as the `troupe.v1.PlacementGroupInfo` message. */
export function groupInfo(g: PlacementGroupRecord): PlacementGroupInfo {
  return {
    placementGroupId: g.id,
    name: g.name,
    namespace: g.namespace,
    strategy: g.strategy,
    state: g.state,
    bundles: g.bundles.map((b, i) => ({ resources: { amounts: b }, nodeId: g.allocations[i]?.nodeId ?? '' })),
    reason: g.reason,
    ownerId: g.ownerId,
    lifetime: g.lifetime,
    createdAtMs: g.createdAtMs,
  };
}
