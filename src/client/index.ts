export { connect, type ConnectOptions } from './connect.js';
export { Cluster } from './cluster.js';
export { currentCluster, getRuntimeContext, type RuntimeContext } from './in-actor.js';
// Registers the ActorHandle msgpack extension in every process that loads the client.
import './handle-wire.js';
export { ActorClass, ActorHandle } from './actor-handle.js';
export { ActorPool, type GetNextOptions, type PoolFn } from './actor-pool.js';
export { ACTOR_OPTION_KEYS, validateActorOptions, type ActorOptions } from './options.js';
export type { ActorClassType, CallProxy } from './types.js';
export type { ActorInfo, ActorState, ClusterStatus, NodeStatus } from './status.js';
export { PlacementGroup } from './placement-group.js';
export type { PlacementGroupOptions, PlacementStrategy } from './placement-group.js';
export type { PlacementGroupInfo, PlacementGroupState } from './status.js';
export type { CollectiveGroupHandle, CollectiveGroupOptions } from './cluster.js';
export type { RefArgs, RefProxy } from './types.js';
