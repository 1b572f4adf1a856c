/**
 * The data-plane protocol on the shared framed-TCP header (transport/framing): magic 'TRDP',
 * version 1, the header's `word` is the request id, flags are zero.
 *
 * Control frames (everything but DATA) are small and collected whole; a DATA payload is streamed:
 * the client names the slice of the pull's destination it lands in, and the socket reads it there.
 *
 * BORROW, RELEASE and FREE are the object counts (objects/borrow.ts): fire-and-forget, never
 * answered, their payload a batch of object ids (each a u16 BE length and that many utf-8 bytes,
 * at most MAX_OBJECT_ID_BYTES each); ids the server does not hold are ignored.
 */
import {
  FrameError,
  encodeFrame as frame,
  encodeHeader as header,
  type FrameProtocol,
  type FrameRule,
} from '../framing/index.js';

export { FrameError, HEADER_BYTES } from '../framing/index.js';
export const MAGIC = 0x54524450; // 'TRDP'
export const VERSION = 1;

export const FrameType = {
  /** Client → server, first frame on every connection; payload: the token (utf-8). */
  HELLO: 1,
  /** Server → client; empty. */
  HELLO_OK: 2,
  /** Client → server; payload: the object id (utf-8). */
  PULL: 3,
  /** Server → client; payload: the object's total length (u64 BE). */
  DATA_BEGIN: 4,
  /** Server → client; payload: the next bytes of the object. */
  DATA: 5,
  /** Server → client; empty; the object is complete. */
  DATA_END: 6,
  /** Either way; payload: code (u16 BE) then a utf-8 message. Request id 0: the whole connection. */
  ERROR: 7,
  /** Client → server; empty; stop sending that request's data (the caller gave up). */
  CANCEL: 8,
  /** Client → server; payload: object ids; one more borrower holds each. */
  BORROW: 9,
  /** Client → server; payload: object ids; one borrower of each let go. */
  RELEASE: 10,
  /** Client → server; payload: object ids; their owner let go (the holder keeps them while borrowed). */
  FREE: 11,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const TYPE_NAMES = new Map<number, string>(Object.entries(FrameType).map(([k, v]) => [v, k]));
export const frameTypeName = (t: number): string => TYPE_NAMES.get(t) ?? `unknown(${t})`;

export const DATA_PLANE: FrameProtocol = {
  name: 'data-plane',
  magic: MAGIC,
  version: VERSION,
  typeName: frameTypeName,
};

export const WireErrorCode = {
  NOT_FOUND: 1,
  UNAUTHENTICATED: 2,
  BAD_REQUEST: 3,
  INTERNAL: 4,
  /**
   * Request id 0 only: the server closed a connection that was idle (nothing in flight); it read
   * nothing after this, so a PULL that crossed it on the wire may be sent again on a new connection.
   */
  IDLE: 5,
  /** The object went with its owner (its process lives on, the owner does not); the message names the owner. */
  OWNER_DIED: 6,
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** Largest control payload accepted (token, object id, error message). */
export const MAX_CONTROL_BYTES = 64 * 1024;
/**
 * Largest HELLO payload (the token) a server reads. Small, because a server collects it for peers
 * that have not proved anything yet; clients refuse longer tokens up front.
 */
export const MAX_HELLO_BYTES = 1024;
/** Largest object id, in utf-8 bytes. */
export const MAX_OBJECT_ID_BYTES = 4 * 1024;
/** Largest DATA frame accepted by a client; servers send DEFAULT_CHUNK_BYTES. */
export const MAX_DATA_FRAME_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * Which frames one side accepts, and how each is read: DATA streamed, the rest collected whole.
 * `maxDataBytes` caps a DATA frame (default MAX_DATA_FRAME_BYTES).
 */
export function frameRules(
  accepts: readonly FrameType[],
  maxDataBytes = MAX_DATA_FRAME_BYTES,
): Record<number, FrameRule> {
  const rules: Record<number, FrameRule> = {};
  for (const t of accepts) {
    const streamed = t === FrameType.DATA;
    rules[t] = { streamed, maxBytes: streamed ? maxDataBytes : MAX_CONTROL_BYTES };
  }
  return rules;
}

/** The frames that change an object's counts at its holder. */
export const COUNT_FRAMES = [FrameType.BORROW, FrameType.RELEASE, FrameType.FREE] as const;
export type CountFrame = (typeof COUNT_FRAMES)[number];
/** A count frame by name. */
export type CountKind = 'BORROW' | 'RELEASE' | 'FREE';

/**
 * What a server reads before the HELLO checked out: the HELLO itself, at most MAX_HELLO_BYTES, and
 * every other client frame as a streamed frame that is never stored (its header is enough to refuse it).
 */
export const PRE_AUTH_RULES: Readonly<Record<number, FrameRule>> = {
  [FrameType.HELLO]: { streamed: false, maxBytes: MAX_HELLO_BYTES },
  [FrameType.PULL]: { streamed: true, maxBytes: MAX_CONTROL_BYTES },
  [FrameType.CANCEL]: { streamed: true, maxBytes: MAX_CONTROL_BYTES },
  ...Object.fromEntries(COUNT_FRAMES.map((t) => [t, { streamed: true, maxBytes: MAX_CONTROL_BYTES }])),
};

/**
 * Object ids as count frames carry them, split so that no payload passes MAX_CONTROL_BYTES.
 * Ids over MAX_OBJECT_ID_BYTES are the caller's mistake (refused here, naming it).
 */
export function encodeIds(ids: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  let parts: Buffer[] = [];
  let size = 0;
  for (const id of ids) {
    const bytes = Buffer.from(id, 'utf8');
    if (bytes.length > MAX_OBJECT_ID_BYTES)
      throw new FrameError(`object id of ${bytes.length} bytes exceeds ${MAX_OBJECT_ID_BYTES}`);
    if (size + 2 + bytes.length > MAX_CONTROL_BYTES) {
      out.push(Buffer.concat(parts));
      parts = [];
      size = 0;
    }
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(bytes.length, 0);
    parts.push(len, bytes);
    size += 2 + bytes.length;
  }
  if (parts.length > 0) out.push(Buffer.concat(parts));
  return out;
}

/** The ids of a count frame's payload; throws FrameError naming the frame when it is malformed. */
export function decodeIds(type: number, payload: Buffer): string[] {
  const name = frameTypeName(type);
  if (payload.length === 0) throw new FrameError(`${name} payload is empty (it must hold at least one object id)`);
  const ids: string[] = [];
  let at = 0;
  while (at < payload.length) {
    if (at + 2 > payload.length)
      throw new FrameError(`${name} payload ends inside the length of object id ${ids.length}`);
    const len = payload.readUInt16BE(at);
    at += 2;
    if (len > MAX_OBJECT_ID_BYTES)
      throw new FrameError(`${name} payload: object id ${ids.length} of ${len} bytes exceeds ${MAX_OBJECT_ID_BYTES}`);
    if (at + len > payload.length)
      throw new FrameError(`${name} payload ends inside object id ${ids.length} (${len} bytes announced)`);
    ids.push(payload.toString('utf8', at, at + len));
    at += len;
  }
  return ids;
}

export function encodeHeader(type: FrameType, requestId: number, length: number): Buffer {
  return header(DATA_PLANE, type, requestId, length);
}

const EMPTY = new Uint8Array(0);

/** A whole frame (header and payload) in one buffer, for control frames. */
export function encodeFrame(type: FrameType, requestId: number, payload: Uint8Array = EMPTY): Buffer {
  return frame(DATA_PLANE, type, requestId, payload);
}

export function encodeLength(n: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}

export function decodeLength(payload: Buffer): number {
  if (payload.length !== 8) throw new FrameError(`DATA_BEGIN payload must be 8 bytes, got ${payload.length}`);
  const n = payload.readBigUInt64BE(0);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameError(`object length ${n} is not a safe integer`);
  return Number(n);
}

export function encodeError(code: WireErrorCode, message: string): Buffer {
  const text = Buffer.from(message.slice(0, 8 * 1024), 'utf8');
  const out = Buffer.allocUnsafe(2 + text.length);
  out.writeUInt16BE(code, 0);
  text.copy(out, 2);
  return out;
}

export function decodeError(payload: Buffer): { code: number; message: string } {
  if (payload.length < 2) throw new FrameError('ERROR payload shorter than its code');
  return { code: payload.readUInt16BE(0), message: payload.toString('utf8', 2) };
}
