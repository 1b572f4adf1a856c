/**
 * The data plane: large buffers (objects, tensors) move between processes as length-prefixed frames
 * on plain TCP connections, never through gRPC messages (DESIGN.md "Planes"). This is the only
 * module other components import.
 */
export { DataPlaneServer, type DataPlaneServerOptions, type DataPlaneServerStats } from './server.js';
export { DataPlaneClient, type DataPlaneClientOptions, type PullOptions } from './client.js';
export { DEFAULT_CHUNK_BYTES, MAX_OBJECT_ID_BYTES, type CountKind } from './frames.js';
