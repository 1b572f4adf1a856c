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
export * from './common/errors.js';
