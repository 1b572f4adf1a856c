/**
 * The one incremental frame parser. It is fed in either of two ways:
 *   - `push(chunk)`: the chunks of a socket's 'data' events;
 *   - a socket's `onread` (`readBuffer` says where the next read lands, `onRead` takes it). Then,
 *     inside a streamed payload whose owner chose a destination, the kernel reads the payload
 *     straight into that destination: one copy, socket to destination, nothing allocated per read.
 * Control frames are small and collected whole; a streamed frame's payload goes where `begin` says.
 */
import { decodeHeader, FrameError, HEADER_BYTES, type FrameHeader, type FrameProtocol } from './header.js';

/** How one frame type is read on this side. */
export interface FrameRule {
  /** True: the payload lands where `begin` says; false: it is collected whole for `control`. */
  streamed: boolean;
  /** Largest payload accepted, in bytes; a header announcing more is a FrameError. */
  maxBytes: number;
}

export interface FrameHandlers {
  /** A whole control frame; `payload` is the caller's to keep. */
  control(h: FrameHeader, payload: Buffer): void;
  /**
   * A streamed frame's header (and prefix) arrived: the `h.length` bytes its payload lands in, or
   * null to drop it. `prefix` is only valid during the call. May throw FrameError.
   */
  begin(h: FrameHeader, prefix: Buffer): Uint8Array | null;
  /** The payload of the streamed frame begun last is complete (it may be empty). */
  end(h: FrameHeader): void;
}

export interface ReadTuning {
  /** Where reads land that do not go to a destination. Default 256 KiB. */
  scratchBytes?: number;
  /**
   * The most read into scratch past the end of the current frame (a header next, or a short
   * remainder): enough for a burst of small frames in one read, small enough that little of a
   * following large payload goes through scratch. Default 4 KiB.
   */
  lookaheadBytes?: number;
  /** A payload remainder at least this long is read in place; a shorter one via scratch. Default 16 KiB. */
  directMinBytes?: number;
}

const HEAD = 0;
const PREFIX = 1;
const PAYLOAD = 2;

export class FrameParser {
  private readonly rules: Array<FrameRule | undefined> = [];
  private readonly head = Buffer.alloc(HEADER_BYTES);
  private headFill = 0;
  private readonly header: FrameHeader = { type: 0, flags: 0, word: 0, length: 0 };
  private stage = HEAD;
  private streamed = false;
  private readonly prefix: Buffer;
  private prefixLength = 0;
  private prefixFill = 0;
  /** The control payload being collected. */
  private body: Buffer | undefined;
  /** Where the streamed payload under way lands; null: dropped. */
  private dest: Uint8Array | null = null;
  private fill = 0;
  private scratch: Buffer | undefined;
  /** The view `readBuffer` last handed out when the read goes straight into `dest`. */
  private direct: Uint8Array | undefined;
  private readonly scratchBytes: number;
  private readonly lookahead: number;
  private readonly directMin: number;

  constructor(
    private readonly protocol: FrameProtocol,
    accepts: Readonly<Record<number, FrameRule>>,
    private readonly handlers: FrameHandlers,
    tuning: ReadTuning = {},
  ) {
    this.accept(accepts);
    this.prefix = Buffer.allocUnsafe(protocol.maxPrefixBytes ?? 0);
    this.scratchBytes = tuning.scratchBytes ?? 256 * 1024;
    this.lookahead = tuning.lookaheadBytes ?? 4 * 1024;
    this.directMin = tuning.directMinBytes ?? 16 * 1024;
  }

  /**
   * Which frames are accepted from the next header on (a frame under way keeps its rule). Lets a
   * side accept only a small HELLO before the peer authenticated, and its full protocol after.
   */
  accept(accepts: Readonly<Record<number, FrameRule>>): void {
    this.rules.length = 0;
    for (const [type, rule] of Object.entries(accepts)) this.rules[Number(type)] = rule;
  }

  /** Inside a streamed payload: how many of its bytes have not arrived yet; otherwise 0. */
  get payloadLeft(): number {
    return this.stage === PAYLOAD && this.streamed ? this.header.length - this.fill : 0;
  }

  /** The header of the frame under way (its payload or prefix is being read), if any. */
  get frame(): Readonly<FrameHeader> | undefined {
    return this.stage === HEAD ? undefined : this.header;
  }

  /** Where the stream stands when it ends now, if in the middle of a frame; for error messages. */
  midFrame(): string | undefined {
    if (this.stage === HEAD) {
      return this.headFill === 0 ? undefined : `after ${this.headFill} of the ${HEADER_BYTES} bytes of a frame header`;
    }
    const what = `a ${this.protocol.typeName(this.header.type)} frame`;
    if (this.stage === PREFIX)
      return `in the middle of ${what} (${this.prefixFill} of ${this.prefixLength} prefix bytes)`;
    return `in the middle of ${what} (${this.fill} of ${this.header.length} payload bytes)`;
  }

  /** onread's buffer function: the destination itself when inside a long enough streamed payload. */
  readBuffer(): Uint8Array {
    const dest = this.dest;
    if (dest !== null && this.stage === PAYLOAD && dest.length - this.fill >= this.directMin) {
      this.direct = dest.subarray(this.fill);
      return this.direct;
    }
    this.direct = undefined;
    const scratch = (this.scratch ??= Buffer.allocUnsafe(this.scratchBytes));
    const within = this.stage === PAYLOAD ? this.header.length - this.fill : 0;
    return scratch.subarray(0, Math.min(this.scratchBytes, within + this.lookahead));
  }

  /** onread's callback: `n` bytes were read into `buf`, the last buffer `readBuffer` returned. */
  onRead(n: number, buf: Uint8Array): void {
    if (buf === this.direct) {
      this.direct = undefined;
      this.advance(n);
    } else {
      this.push(buf.subarray(0, n));
    }
  }

  /**
   * The next `n` bytes of the streamed payload under way were placed in its destination by the
   * owner (the socket read them there); the parser moves past them without seeing them.
   */
  advance(n: number): void {
    const left = this.payloadLeft;
    if (n > left || (n > 0 && this.dest === null)) {
      throw new RangeError(`advance(${n}) with only ${left} bytes of a payload with a destination left`);
    }
    if (n === 0) return;
    this.fill += n;
    if (this.fill === this.header.length) this.finish();
  }

  /** Feeds bytes from the stream; throws FrameError on a malformed stream. */
  push(chunk: Uint8Array): void {
    let at = 0;
    const end = chunk.length;
    while (at < end) {
      if (this.stage === HEAD) {
        const take = Math.min(HEADER_BYTES - this.headFill, end - at);
        this.head.set(chunk.subarray(at, at + take), this.headFill);
        this.headFill += take;
        at += take;
        if (this.headFill === HEADER_BYTES) this.startFrame();
      } else if (this.stage === PREFIX) {
        const take = Math.min(this.prefixLength - this.prefixFill, end - at);
        this.prefix.set(chunk.subarray(at, at + take), this.prefixFill);
        this.prefixFill += take;
        at += take;
        if (this.prefixFill === this.prefixLength) this.startPayload();
      } else {
        const take = Math.min(this.header.length - this.fill, end - at);
        if (!this.streamed) this.body!.set(chunk.subarray(at, at + take), this.fill);
        else if (this.dest !== null) this.dest.set(chunk.subarray(at, at + take), this.fill);
        this.fill += take;
        at += take;
        if (this.fill === this.header.length) this.finish();
      }
    }
  }

  private startFrame(): void {
    this.headFill = 0;
    const h = decodeHeader(this.protocol, this.head, this.header);
    const rule = this.rules[h.type];
    if (!rule) throw new FrameError(`unexpected frame type ${this.protocol.typeName(h.type)}`);
    if (h.length > rule.maxBytes) {
      throw new FrameError(
        `${this.protocol.typeName(h.type)} frame of ${h.length} bytes exceeds the cap of ${rule.maxBytes}`,
      );
    }
    this.streamed = rule.streamed;
    const maxPrefix = this.protocol.maxPrefixBytes;
    this.prefixLength = maxPrefix === undefined ? 0 : h.word;
    if (maxPrefix !== undefined && h.word > maxPrefix) {
      throw new FrameError(
        `${this.protocol.typeName(h.type)} frame prefix of ${h.word} bytes exceeds the cap of ${maxPrefix}`,
      );
    }
    this.prefixFill = 0;
    if (this.prefixLength > 0) this.stage = PREFIX;
    else this.startPayload();
  }

  private startPayload(): void {
    const h = this.header;
    this.fill = 0;
    if (this.streamed) {
      const dest = this.handlers.begin(h, this.prefix.subarray(0, this.prefixLength));
      if (dest !== null && dest.length !== h.length) {
        throw new RangeError(`begin returned ${dest.length} bytes for a payload of ${h.length}`);
      }
      this.dest = dest;
    } else {
      this.body = Buffer.allocUnsafe(h.length);
    }
    this.stage = PAYLOAD;
    if (h.length === 0) this.finish();
  }

  private finish(): void {
    this.stage = HEAD;
    if (this.streamed) {
      this.dest = null;
      this.handlers.end(this.header);
    } else {
      const body = this.body!;
      this.body = undefined;
      this.handlers.control(this.header, body);
    }
  }
}
