/** Troupe's public API: connect to a cluster (or start an embedded one), spawn and call actors. */
export {
  connect,
  Cluster,
  ActorClass,
  ActorHandle,
  ACTOR_OPTION_KEYS,
  type ConnectOptions,
  type ActorOptions,
  type ActorClassType,
  type CallProxy,
  type ActorInfo,
  type ActorState,
  type ClusterStatus,
  type NodeStatus,
} from './client/index.js';
export { ObjectRef } from './objects/ref.js';
export { PlacementGroup, type PlacementGroupOptions, type PlacementStrategy } from './client/placement-group.js';
export type { PlacementGroupInfo, PlacementGroupState } from './client/status.js';
export type { CollectiveGroupOptions, CollectiveGroupHandle } from './client/cluster.js';
export {
  getCollectiveGroup,
  registerCollectiveBackend,
  CollectiveGroup,
  type CollectiveBackend,
  type CollectiveOps,
  type BackendEndpoint,
  type EndpointOptions,
  type P2POptions,
} from './collective/group.js';
export type { ReduceOp, ReduceOptions, AllgatherOptions, BroadcastOptions, CollectiveOptions, FloatArray } from './collective/index.js';
export { segmentBounds } from './collective/index.js';
export type { WaitOptions } from './objects/owner.js';
export type { RefProxy, RefArgs } from './client/types.js';
export * from './common/errors.js';
export { JobClient, type JobClientOptions, type SubmitJobOptions, type TailOptions, type JobInfo, type JobState } from './jobs/index.js';
