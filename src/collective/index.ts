/** Collective groups: ring algorithms over a PeerTransport, independent of how bytes travel. */
export type { PeerTransport, FloatArray } from './transport.js';
export type { MemoryGroup } from './memory-group.js';
export { memoryGroup } from './memory-group.js';
export type { CollectiveOptions } from './steps.js';
export { DEFAULT_TIMEOUT_MS } from './steps.js';
export type { ReduceOp, ReduceOptions, AllgatherOptions, BroadcastOptions } from './ring.js';
export { allreduce, reduceScatter, allgather, broadcast, barrier, segmentBounds } from './ring.js';
export type { TcpPeerTransportOptions, TcpConnectOptions } from './tcp-transport.js';
export { TcpPeerTransport } from './tcp-transport.js';
export {
  CollectiveGroup,
  collectiveBackend,
  getCollectiveGroup,
  groupsOf,
  joinGroup,
  leaveGroup,
  registerCollectiveBackend,
} from './group.js';
export type { BackendEndpoint, CollectiveBackend, CollectiveOps, EndpointOptions, P2POptions } from './group.js';

/** Loads (and so registers) a backend that ships apart, when a group first asks for it: 'nccl' needs the native core. */
export async function loadCollectiveBackend(name: string): Promise<void> {
  if (name === 'nccl') await import('./nccl.js');
}
export {
  MAX_CONNECT_TIMEOUT_MS,
  MAX_GROUP_SIZE,
  decodeSystemRequest,
  isSystemMethod,
  systemCall,
  type SystemRequest,
} from './system-requests.js';
