/** The transport component's door: what other components may import. */
export {
  DEFAULT_MAX_MESSAGE_BYTES,
  bindServer,
  callUnary,
  closeServer,
  fromServiceError,
  makeClient,
  serverOptions,
  toServiceError,
  unary,
} from './grpc.js';
export { assertCanListen, listenError, routeGrpcLogs } from './listen.js';
export type { ReplyOf, RequestOf, UnaryName } from './grpc.js';
export { troupeV1 } from './protos.js';
export { approxWireBytes, messageTooLarge, splitBySize, tooLarge } from './wire-size.js';
export { MuxClient, muxHandler } from './mux-stream.js';
export { FrameError, FrameParser, encodeFrame, encodeHeader } from './framing/index.js';
export type { FrameHandlers, FrameHeader, FrameProtocol, FrameRule } from './framing/index.js';
export { DataPlaneClient, DataPlaneServer, MAX_OBJECT_ID_BYTES } from './data-plane/index.js';
export type { CountKind } from './data-plane/index.js';
