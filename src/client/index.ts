export { connect, type ConnectOptions } from './connect.js';
export { Cluster } from './cluster.js';
export { ActorClass, ActorHandle } from './actor-handle.js';
export { ACTOR_OPTION_KEYS, validateActorOptions, type ActorOptions } from './options.js';
export type { ActorClassType, CallProxy } from './types.js';
export type { ActorInfo, ActorState, ClusterStatus, NodeStatus } from './status.js';
