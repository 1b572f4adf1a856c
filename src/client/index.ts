export { connect, type ConnectOptions } from './connect.js';
export { Cluster, ActorClass, ActorHandle } from './cluster.js';
export { ACTOR_OPTION_KEYS, validateActorOptions, type ActorOptions } from './options.js';
export type { ActorClassType, CallProxy } from './types.js';
export type { ActorInfo, ActorState, ClusterStatus, NodeStatus } from './status.js';
