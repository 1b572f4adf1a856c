/** Troupe's public API: connect to a cluster (or start an embedded one), spawn and call actors. */
export {
  connect,
  currentCluster,
  getRuntimeContext,
  type RuntimeContext,
  Cluster,
  ActorClass,
  ActorHandle,
  ActorPool,
  ACTOR_OPTION_KEYS,
  type ConnectOptions,
  type ActorOptions,
  type GetNextOptions,
  type PoolFn,
  type ActorClassType,
  type CallProxy,
  type ActorInfo,
  type ActorState,
  type ClusterStatus,
  type NodeStatus,
} from './client/index.js';
export { ObjectRef } from './objects/index.js';
export { PlacementGroup, type PlacementGroupOptions, type PlacementStrategy } from './client/index.js';
export type { PlacementGroupInfo, PlacementGroupState } from './client/index.js';
export type { CollectiveGroupOptions, CollectiveGroupHandle } from './client/index.js';
export {
  getCollectiveGroup,
  registerCollectiveBackend,
  CollectiveGroup,
  type CollectiveBackend,
  type CollectiveOps,
  type BackendEndpoint,
  type EndpointOptions,
  type P2POptions,
} from './collective/index.js';
export type {
  ReduceOp,
  ReduceOptions,
  AllgatherOptions,
  BroadcastOptions,
  CollectiveOptions,
  FloatArray,
} from './collective/index.js';
export { segmentBounds } from './collective/index.js';
export type { WaitOptions } from './objects/index.js';
export type { RefProxy, RefArgs } from './client/index.js';
// Errors: classes with stable codes (see ErrorCode), rebuilt on this side of the wire.
export {
  ErrorCode,
  TroupeError,
  InvalidArgumentError,
  ResourcesInfeasibleError,
  describeDeath,
  ActorDiedError,
  ActorNotFoundError,
  NameTakenError,
  ModuleLoadError,
  ActorConstructorError,
  ActorMethodError,
  MethodNotFoundError,
  RemoteError,
  UnauthenticatedError,
  MessageTooLargeError,
  HeadUnavailableError,
  UnavailableError,
  TimeoutError,
  ShutDownError,
  SerializationError,
  StateCorruptError,
  StateUnavailableError,
  OwnerDiedError,
  ObjectFreedError,
  DeviceUnavailableError,
  JobNotFoundError,
  InternalError,
  errorToInfo,
  errorFromInfo,
  type ErrorContext,
  type TroupeErrorInit,
  type DeathCause,
  type ErrorInfo,
} from './common/index.js';
export {
  JobClient,
  type JobClientOptions,
  type SubmitJobOptions,
  type TailOptions,
  type JobInfo,
  type JobState,
} from './jobs/index.js';
