/**
 * The one framed-TCP header, shared by every protocol Troupe speaks on plain TCP (the data plane,
 * the collective links). Every frame is this fixed 20-byte header followed by its payload:
 *
 *   0  magic (4 bytes, names the protocol)   8  word (u32 BE; the protocol says what it counts)
 *   4  version (u8)                         12  payload length, high u32 BE
 *   5  frame type (u8)                      16  payload length, low u32 BE
 *   6  flags (u8; the protocol's, else 0)
 *   7  reserved (u8, zero)
 *
 * A protocol may declare that `word` is the length of a prefix (the collective's tag) read
 * whole between the header and the payload.
 */
import { UnavailableError, type TroupeErrorInit } from '../../common/index.js';

export const HEADER_BYTES = 20;

/** A parsed header; the parser hands out one object it reuses, valid only during the call. */
export interface FrameHeader {
  type: number;
  flags: number;
  word: number;
  length: number;
}

/** What a protocol puts in the shared header. */
export interface FrameProtocol {
  /** Used in error messages: 'data-plane', 'collective'. */
  readonly name: string;
  readonly magic: number;
  readonly version: number;
  typeName(type: number): string;
  /** When set, `word` is the length of a prefix between header and payload, at most this many bytes. */
  readonly maxPrefixBytes?: number;
}

/** The stream broke the format; the connection cannot be trusted further and is closed. */
export class FrameError extends UnavailableError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(message, init);
  }
}

const magicText = (m: number): string => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(m >>> 0);
  return /^[\x20-\x7e]{4}$/.test(b.toString('latin1')) ? `'${b.toString('latin1')}'` : `0x${b.toString('hex')}`;
};

export function encodeHeader(
  p: FrameProtocol,
  type: number,
  word: number,
  length: number,
  flags = 0,
  into: Buffer = Buffer.allocUnsafe(HEADER_BYTES),
): Buffer {
  into.writeUInt32BE(p.magic, 0);
  into.writeUInt8(p.version, 4);
  into.writeUInt8(type, 5);
  into.writeUInt8(flags, 6);
  into.writeUInt8(0, 7);
  into.writeUInt32BE(word >>> 0, 8);
  into.writeUInt32BE(Math.floor(length / 2 ** 32), 12);
  into.writeUInt32BE(length >>> 0, 16);
  return into;
}

/** A whole frame (header, then `payload`) in one buffer, for small control frames. */
export function encodeFrame(p: FrameProtocol, type: number, word: number, payload: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
  encodeHeader(p, type, word, payload.byteLength, flags, out);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** Reads `h` into `out`; throws FrameError when the magic or version is not `p`'s. */
export function decodeHeader(p: FrameProtocol, h: Buffer, out: FrameHeader): FrameHeader {
  const magic = h.readUInt32BE(0);
  if (magic !== p.magic) {
    throw new FrameError(`bad magic ${magicText(magic)} (expected ${magicText(p.magic)}, a ${p.name} frame)`);
  }
  const version = h.readUInt8(4);
  if (version !== p.version) throw new FrameError(`unsupported version ${version} (this side speaks ${p.version})`);
  out.type = h.readUInt8(5);
  out.flags = h.readUInt8(6);
  out.word = h.readUInt32BE(8);
  out.length = h.readUInt32BE(12) * 2 ** 32 + h.readUInt32BE(16);
  return out;
}
