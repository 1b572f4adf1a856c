/**
 * The one framed-TCP codec: the shared 20-byte header and the incremental parser with its
 * receive-into-destination path. The data plane and the collective links both speak through it.
 */
export { FrameError, HEADER_BYTES, decodeHeader, encodeFrame, encodeHeader } from './header.js';
export type { FrameHeader, FrameProtocol } from './header.js';
export { FrameParser } from './parser.js';
export type { FrameHandlers, FrameRule, ReadTuning } from './parser.js';
