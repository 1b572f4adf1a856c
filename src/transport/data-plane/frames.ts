/**
 * The data-plane wire format: every frame is a fixed 20-byte header followed by its payload.
 *
 *   0  'TRDP' magic (4 bytes)      8  request id (u32 BE)
 *   4  version (u8)               12  payload length, high u32 BE
 *   5  frame type (u8)            16  payload length, low u32 BE
 *   6  reserved (u16, zero)
 *
 * Control frames (everything but DATA) are small and collected whole; DATA payloads are handed to
 * the owner piece by piece as they arrive, so a receiver can copy them straight into their
 * destination without collecting chunk lists, or, better, have the socket read the rest of a DATA
 * payload straight into the destination and tell the decoder so (`dataBytesLeft`, `skipData`).
 */
export const MAGIC = 0x54524450; // 'TRDP'
export const VERSION = 1;
export const HEADER_BYTES = 20;

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
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

const TYPE_NAMES = new Map<number, string>(Object.entries(FrameType).map(([k, v]) => [v, k]));
export const frameTypeName = (t: number): string => TYPE_NAMES.get(t) ?? `unknown(${t})`;

export const WireErrorCode = {
  NOT_FOUND: 1,
  UNAUTHENTICATED: 2,
  BAD_REQUEST: 3,
  INTERNAL: 4,
} as const;
export type WireErrorCode = (typeof WireErrorCode)[keyof typeof WireErrorCode];

/** Largest control payload accepted (token, object id, error message). */
export const MAX_CONTROL_BYTES = 64 * 1024;
/** Largest object id, in utf-8 bytes. */
export const MAX_OBJECT_ID_BYTES = 4 * 1024;
/** Largest DATA frame accepted by a client; servers send DEFAULT_CHUNK_BYTES. */
export const MAX_DATA_FRAME_BYTES = 64 * 1024 * 1024;
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

export interface FrameHeader {
  type: FrameType;
  requestId: number;
  length: number;
}

/** The stream broke the format; the connection cannot be trusted further and is closed. */
export class FrameError extends Error {
  override name = 'FrameError';
}

export function encodeHeader(type: FrameType, requestId: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32BE(MAGIC, 0);
  h.writeUInt8(VERSION, 4);
  h.writeUInt8(type, 5);
  h.writeUInt16BE(0, 6);
  h.writeUInt32BE(requestId >>> 0, 8);
  h.writeUInt32BE(Math.floor(length / 2 ** 32), 12);
  h.writeUInt32BE(length >>> 0, 16);
  return h;
}

/** A whole frame (header and payload) in one buffer, for control frames. */
export function encodeFrame(type: FrameType, requestId: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.byteLength);
  encodeHeader(type, requestId, payload.byteLength).copy(out, 0);
  out.set(payload, HEADER_BYTES);
  return out;
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

export interface DecoderHandlers {
  /** A whole control frame. */
  control(header: FrameHeader, payload: Buffer): void;
  /** Part of a DATA frame's payload; `chunk` is only valid during the call. */
  data(requestId: number, chunk: Buffer): void;
}

export interface DecoderLimits {
  /** Frame types this side accepts; anything else is a FrameError. */
  accepts: ReadonlySet<FrameType>;
  maxControlBytes?: number;
  maxDataBytes?: number;
}

/** Incremental frame parser: feed it socket chunks; throws FrameError on a malformed stream. */
export class FrameDecoder {
  private readonly head = Buffer.alloc(HEADER_BYTES);
  private headFill = 0;
  private current: FrameHeader | undefined;
  private body: Buffer | undefined;
  private bodyFill = 0;
  private readonly maxControl: number;
  private readonly maxData: number;

  constructor(
    private readonly handlers: DecoderHandlers,
    private readonly limits: DecoderLimits,
  ) {
    this.maxControl = limits.maxControlBytes ?? MAX_CONTROL_BYTES;
    this.maxData = limits.maxDataBytes ?? MAX_DATA_FRAME_BYTES;
  }

  /** Inside a DATA payload: how many of its bytes have not been seen yet; otherwise 0. */
  get dataBytesLeft(): number {
    const frame = this.current;
    return frame !== undefined && frame.type === FrameType.DATA ? frame.length - this.bodyFill : 0;
  }

  /** The request id of the DATA payload under way; meaningful only while `dataBytesLeft` > 0. */
  get dataRequestId(): number {
    return this.current?.requestId ?? 0;
  }

  /**
   * The owner placed the next `n` bytes of the current DATA payload itself (the socket read them
   * straight into their destination); the decoder moves past them without seeing them.
   */
  skipData(n: number): void {
    const left = this.dataBytesLeft;
    if (n > left) throw new RangeError(`skipData(${n}) with only ${left} bytes of DATA payload left`);
    if (n === 0) return;
    this.bodyFill += n;
    if (this.bodyFill === this.current!.length) this.finish();
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (!this.current) {
        const take = Math.min(HEADER_BYTES - this.headFill, chunk.length - at);
        chunk.copy(this.head, this.headFill, at, at + take);
        this.headFill += take;
        at += take;
        if (this.headFill < HEADER_BYTES) return;
        this.headFill = 0;
        this.current = this.parseHeader();
        if (this.current.type !== FrameType.DATA) {
          this.body = Buffer.allocUnsafe(this.current.length);
          this.bodyFill = 0;
        } else {
          this.bodyFill = 0;
        }
        if (this.current.length === 0) this.finish();
        continue;
      }
      const frame = this.current;
      const take = Math.min(frame.length - this.bodyFill, chunk.length - at);
      if (frame.type === FrameType.DATA) {
        this.handlers.data(frame.requestId, chunk.subarray(at, at + take));
      } else {
        chunk.copy(this.body!, this.bodyFill, at, at + take);
      }
      this.bodyFill += take;
      at += take;
      if (this.bodyFill === frame.length) this.finish();
    }
  }

  private finish(): void {
    const frame = this.current!;
    const body = this.body;
    this.current = undefined;
    this.body = undefined;
    if (frame.type !== FrameType.DATA) this.handlers.control(frame, body ?? Buffer.alloc(0));
  }

  private parseHeader(): FrameHeader {
    const h = this.head;
    const magic = h.readUInt32BE(0);
    if (magic !== MAGIC) throw new FrameError(`bad magic 0x${magic.toString(16).padStart(8, '0')} (expected 'TRDP')`);
    const version = h.readUInt8(4);
    if (version !== VERSION) throw new FrameError(`unsupported version ${version} (this side speaks ${VERSION})`);
    const type = h.readUInt8(5) as FrameType;
    if (!this.limits.accepts.has(type)) throw new FrameError(`unexpected frame type ${frameTypeName(type)}`);
    const length = h.readUInt32BE(12) * 2 ** 32 + h.readUInt32BE(16);
    const cap = type === FrameType.DATA ? this.maxData : this.maxControl;
    if (length > cap) throw new FrameError(`${frameTypeName(type)} frame of ${length} bytes exceeds the cap of ${cap}`);
    return { type, requestId: h.readUInt32BE(8), length };
  }
}
