import { InternalError, type DeathCause } from '../common/index.js';
import type { ActorInfo__Output } from '../generated/troupe/v1/ActorInfo.js';
import type { GetClusterStatusReply__Output } from '../generated/troupe/v1/GetClusterStatusReply.js';
import type { PlacementGroupInfo__Output } from '../generated/troupe/v1/PlacementGroupInfo.js';

export type ActorState = 'PENDING' | 'CREATING' | 'ALIVE' | 'RESTARTING' | 'DEAD';

export interface ActorInfo {
  actorId: string;
  className: string;
  name: string;
  namespace: string;
  state: ActorState;
  nodeId: string;
  address: string;
  pid: number;
  resources: Record<string, number>;
  gpuIds: number[];
  isolation: string;
  /** Why it died, when DEAD; why it is restarting, when RESTARTING. */
  death: DeathCause | undefined;
  createdAtMs: number;
  maxRestarts: number;
  maxTaskRetries: number;
  numRestarts: number;
  ownerId: string;
  lifetime: string;
  /** The placement group it runs in ('' when none) and the bundle it took. */
  placementGroupId: string;
  bundleIndex: number;
}

export type PlacementGroupState = 'PENDING' | 'CREATED' | 'RESCHEDULING' | 'REMOVED';

export interface PlacementGroupInfo {
  placementGroupId: string;
  name: string;
  namespace: string;
  strategy: 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';
  state: PlacementGroupState;
  /** Each bundle's resources, and the node holding it ('' while unplaced). */
  bundles: Array<{ resources: Record<string, number>; nodeId: string }>;
  /** Why it is not placed yet, or why it was removed. */
  reason: string;
  ownerId: string;
  lifetime: string;
  createdAtMs: number;
}

/**
 * A message field the head always sets. proto3 cannot say so (message fields may be absent, and
 * arrive as null), so a reply without it is a broken peer, not a user error.
 */
export function present<T>(value: T | null | undefined, what: string): T {
  if (value === null || value === undefined) throw new InternalError(`the head's reply has no ${what}`);
  return value;
}

export function toPlacementGroupInfo(w: PlacementGroupInfo__Output): PlacementGroupInfo {
  return {
    placementGroupId: w.placementGroupId,
    name: w.name,
    namespace: w.namespace,
    strategy: w.strategy as PlacementGroupInfo['strategy'],
    state: w.state as PlacementGroupState,
    bundles: (w.bundles ?? []).map((b) => ({ resources: b.resources?.amounts ?? {}, nodeId: b.nodeId })),
    reason: w.reason,
    ownerId: w.ownerId,
    lifetime: w.lifetime,
    createdAtMs: Number(w.createdAtMs),
  };
}

export interface NodeStatus {
  nodeId: string;
  address: string;
  hostname: string;
  state: 'ALIVE' | 'DEAD';
  total: Record<string, number>;
  available: Record<string, number>;
  labels: Record<string, string>;
  numActors: number;
  lastHeartbeatMs: number;
  deathReason: string;
  /** Reloaded by a restarted head; its worker has not registered again yet. */
  awaitingWorker: boolean;
}

export interface ClusterStatus {
  headAddress: string;
  /** Where the cluster's state lives ("memory", or a Redis URL without its password). */
  stateStore: string;
  startedAtMs: number;
  nodes: NodeStatus[];
  actors: ActorInfo[];
  pendingActors: number;
  /** Actor counts by state. */
  actorsByState: Record<ActorState, number>;
  placementGroups: PlacementGroupInfo[];
}

export function toActorInfo(w: ActorInfo__Output): ActorInfo {
  let death: DeathCause | undefined;
  if (w.deathCause) {
    try {
      death = JSON.parse(w.deathCause) as DeathCause;
    } catch {
      death = undefined;
    }
  }
  return {
    actorId: w.actorId,
    className: w.className,
    name: w.name,
    namespace: w.namespace,
    state: w.state as ActorState,
    nodeId: w.nodeId,
    address: w.address,
    pid: w.pid,
    resources: w.resources?.amounts ?? {},
    gpuIds: w.gpuIds ?? [],
    isolation: w.isolation,
    death,
    createdAtMs: Number(w.createdAtMs),
    maxRestarts: w.maxRestarts ?? 0,
    maxTaskRetries: w.maxTaskRetries ?? 0,
    numRestarts: w.numRestarts ?? 0,
    ownerId: w.ownerId ?? '',
    lifetime: w.lifetime ?? '',
    placementGroupId: w.placementGroupId ?? '',
    bundleIndex: w.bundleIndex ?? -1,
  };
}

export function toClusterStatus(w: GetClusterStatusReply__Output): ClusterStatus {
  const actors = w.actors.map(toActorInfo);
  const actorsByState: Record<ActorState, number> = { PENDING: 0, CREATING: 0, ALIVE: 0, RESTARTING: 0, DEAD: 0 };
  for (const a of actors) actorsByState[a.state] = (actorsByState[a.state] ?? 0) + 1;
  return {
    headAddress: w.headAddress,
    stateStore: w.stateStore,
    startedAtMs: Number(w.startedAtMs),
    pendingActors: w.pendingActors,
    nodes: w.nodes.map((n) => ({
      nodeId: n.nodeId,
      address: n.address,
      hostname: n.hostname,
      state: n.state as 'ALIVE' | 'DEAD',
      total: n.total?.amounts ?? {},
      available: n.available?.amounts ?? {},
      labels: n.labels,
      numActors: n.numActors,
      lastHeartbeatMs: Number(n.lastHeartbeatMs),
      deathReason: n.deathReason,
      awaitingWorker: Boolean(n.awaitingWorker),
    })),
    actors,
    actorsByState,
    placementGroups: (w.placementGroups ?? []).map(toPlacementGroupInfo),
  };
}
