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
