/**
 * One connection a data-plane server accepted. Before the HELLO checked out it reads only a small
 * HELLO, within a deadline, and refuses anything else from its header alone (nothing is stored for
 * a peer that proved nothing). After it: PULLs served chunk by chunk with backpressure, CANCELs,
 * the object counts (BORROW, RELEASE, FREE: handed to the server's `counts`, never answered), and an
 * idle timeout once nothing is in flight.
 */
import type net from 'node:net';
import type { Logger } from '../../common/index.js';
import { FrameParser, type FrameHeader } from '../framing/index.js';
import {
  DATA_PLANE,
  FrameError,
  COUNT_FRAMES,
  FrameType,
  MAX_HELLO_BYTES,
  MAX_OBJECT_ID_BYTES,
  PRE_AUTH_RULES,
  WireErrorCode,
  decodeIds,
  encodeError,
  type CountFrame,
  type CountKind,
  encodeFrame,
  encodeHeader,
  encodeLength,
  frameRules,
  frameTypeName,
} from './frames.js';

/** What a connection needs from its server. */
export interface ConnectionHooks {
  /** Constant-time comparison of SHA-256 digests, so timing tells nothing about the token. */
  checkToken(presented: Buffer): boolean;
  noteQueued(bytes: number): void;
  /** The HELLO checked out (called at most once). */
  authenticated(): void;
  /** This peer, not authenticated, is refused for `reason` (logged rate-limited by the server). */
  refused(peer: string, reason: string): void;
}

export interface ConnectionOptions {
  provider: (objectId: string) => Uint8Array | readonly Uint8Array[] | undefined;
  onServed?: (objectId: string) => void;
  /** Why an object the provider does not hold is gone, when its owner died (answered OWNER_DIED). */
  ownerDied?: (objectId: string) => string | undefined;
  /** A count frame from an authenticated peer, its ids decoded. */
  counts?: (kind: CountKind, ids: string[]) => void;
  log: Logger;
  chunkBytes: number;
  helloTimeoutMs: number;
  idleTimeoutMs: number;
}

/** After the HELLO: PULL, CANCEL and the counts; a second HELLO is read (small) only to be refused. */
const SERVER_RULES = {
  ...frameRules([FrameType.PULL, FrameType.CANCEL, ...COUNT_FRAMES]),
  [FrameType.HELLO]: { streamed: false, maxBytes: MAX_HELLO_BYTES },
};

interface Transfer {
  id: number;
  objectId: string;
  /** The object's bytes: these parts back to back (zero-length parts already dropped). */
  parts: Uint8Array[];
  total: number;
  sent: number;
  /** Where `sent` points: the part, and the offset in it. */
  part: number;
  offset: number;
}

export class Connection {
  private authed = false;
  private closing = false;
  private waitingDrain = false;
  private readonly transfers = new Map<number, Transfer>();
  private queue: Transfer[] = [];
  private readonly parser: FrameParser;
  private readonly peer: string;
  /** The HELLO deadline, then the idle check. */
  private timer: NodeJS.Timeout;
  /** When the last frame arrived or transfer ended (idle timeout). */
  private lastActive = 0;

  constructor(
    private readonly owner: ConnectionHooks,
    readonly socket: net.Socket,
    private readonly opts: ConnectionOptions,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const control = (h: FrameHeader, p: Buffer) => this.onControl(h, p);
    const begin = (h: FrameHeader) => this.onStreamed(h);
    this.parser = new FrameParser(DATA_PLANE, PRE_AUTH_RULES, { control, begin, end: () => undefined });
    const late = () => this.refuse(WireErrorCode.UNAUTHENTICATED, `no complete HELLO within ${opts.helloTimeoutMs} ms`);
    this.timer = setTimeout(late, opts.helloTimeoutMs).unref();
    socket.on('data', (chunk: Buffer) => {
      if (this.closing) return;
      try {
        this.parser.push(chunk);
      } catch (err) {
        if (!(err instanceof FrameError)) throw err;
        if (!this.closing) this.refuse(WireErrorCode.BAD_REQUEST, `malformed frame: ${err.message}`);
      }
    });
    socket.on('error', (err) =>
      this.opts.log.debug({ peer: this.peer, err: err.message }, 'data-plane connection error'),
    );
    socket.on('close', () => {
      clearTimeout(this.timer);
      // Cut in the middle of a frame: a token holder's line by line, others rate-limited.
      const where = this.closing ? undefined : this.parser.midFrame();
      const reason = `closed ${where}`;
      if (where !== undefined && this.authed)
        this.opts.log.warn({ peer: this.peer, reason }, 'data-plane connection cut');
      else if (where !== undefined) this.owner.refused(this.peer, reason);
      this.transfers.clear();
      this.queue = [];
    });
  }

  private onControl(h: FrameHeader, payload: Buffer): void {
    if (this.closing) return;
    if (!this.authed) {
      // Only HELLO is collected before authentication (PRE_AUTH_RULES).
      if (!this.owner.checkToken(payload)) {
        this.refuse(WireErrorCode.UNAUTHENTICATED, 'wrong cluster token');
        return;
      }
      this.authed = true;
      clearTimeout(this.timer);
      this.parser.accept(SERVER_RULES);
      this.owner.authenticated();
      this.socket.write(encodeFrame(FrameType.HELLO_OK, 0));
      this.lastActive = Date.now();
      this.armIdle(this.opts.idleTimeoutMs);
      return;
    }
    this.lastActive = Date.now();
    switch (h.type) {
      case FrameType.HELLO:
        this.refuse(WireErrorCode.BAD_REQUEST, 'HELLO sent twice');
        return;
      case FrameType.CANCEL:
        this.transfers.delete(h.word);
        return;
      case FrameType.PULL:
        this.onPull(h.word, payload);
        return;
      case FrameType.BORROW:
      case FrameType.RELEASE:
      case FrameType.FREE:
        this.onCounts(h.type, payload);
        return;
      default:
        this.refuse(WireErrorCode.BAD_REQUEST, `unexpected frame type ${frameTypeName(h.type)}`);
    }
  }

  private onCounts(type: CountFrame, payload: Buffer): void {
    let ids: string[];
    try {
      ids = decodeIds(type, payload);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      this.refuse(WireErrorCode.BAD_REQUEST, `malformed frame: ${err.message}`);
      return;
    }
    try {
      this.opts.counts?.(frameTypeName(type) as CountKind, ids);
    } catch (err) {
      this.opts.log.error({ frame: frameTypeName(type), err: (err as Error).message }, 'data-plane counts threw');
    }
  }

  /** Before the HELLO, PULL, CANCEL and the counts are read as streamed frames only to be refused from their header. */
  private onStreamed(h: FrameHeader): null {
    if (this.authed) throw new FrameError(`unexpected frame type ${frameTypeName(h.type)}`);
    if (!this.closing) {
      this.refuse(WireErrorCode.UNAUTHENTICATED, `first frame must be HELLO, got ${frameTypeName(h.type)}`);
    }
    return null;
  }

  private armIdle(ms: number): void {
    this.timer = setTimeout(() => this.checkIdle(), ms).unref();
  }

  /** Closes the connection once nothing was in flight and no frame came for the idle timeout. */
  private checkIdle(): void {
    if (this.closing) return;
    const idle = this.opts.idleTimeoutMs;
    const now = Date.now();
    if (this.transfers.size > 0) this.lastActive = now;
    const quiet = now - this.lastActive;
    if (quiet < idle) {
      this.armIdle(idle - quiet);
      return;
    }
    this.closing = true;
    this.opts.log.debug({ peer: this.peer, idleMs: quiet }, 'data-plane connection closed: idle');
    const why = `closed after ${quiet} ms with nothing in flight`;
    this.socket.end(encodeFrame(FrameType.ERROR, 0, encodeError(WireErrorCode.IDLE, why)));
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private onPull(id: number, payload: Buffer): void {
    if (payload.length > MAX_OBJECT_ID_BYTES) {
      this.refuse(WireErrorCode.BAD_REQUEST, `object id of ${payload.length} bytes exceeds ${MAX_OBJECT_ID_BYTES}`);
      return;
    }
    if (id === 0 || this.transfers.has(id)) {
      this.refuse(WireErrorCode.BAD_REQUEST, `request id ${id} is zero or already in flight`);
      return;
    }
    const objectId = payload.toString('utf8');
    let found: Uint8Array | readonly Uint8Array[] | undefined;
    try {
      found = this.opts.provider(objectId);
    } catch (err) {
      this.opts.log.error({ objectId, err: (err as Error).message }, 'data-plane provider threw');
      this.socket.write(
        encodeFrame(
          FrameType.ERROR,
          id,
          encodeError(WireErrorCode.INTERNAL, `reading object ${objectId} failed: ${(err as Error).message}`),
        ),
      );
      return;
    }
    if (!found) {
      const died = this.opts.ownerDied?.(objectId);
      const error =
        died === undefined
          ? encodeError(WireErrorCode.NOT_FOUND, `object ${objectId} not found`)
          : encodeError(WireErrorCode.OWNER_DIED, died);
      this.socket.write(encodeFrame(FrameType.ERROR, id, error));
      return;
    }
    // A copy of the list, so the provider's array may change afterwards; the bytes are shared.
    const parts = (isPartList(found) ? [...found] : [found]).filter((b) => b.byteLength > 0);
    const total = parts.reduce((n, b) => n + b.byteLength, 0);
    const t: Transfer = { id, objectId, parts, total, sent: 0, part: 0, offset: 0 };
    this.socket.write(encodeFrame(FrameType.DATA_BEGIN, id, encodeLength(total)));
    this.transfers.set(id, t);
    this.queue.push(t);
    this.pump();
  }

  /** Sends one chunk per transfer in turn, until the socket asks us to wait for 'drain'. */
  private pump(): void {
    if (this.waitingDrain || this.closing) return;
    const socket = this.socket;
    while (this.queue.length > 0 && !socket.destroyed) {
      const t = this.queue.shift()!;
      if (this.transfers.get(t.id) !== t) continue; // cancelled
      const n = Math.min(this.opts.chunkBytes, t.total - t.sent);
      socket.cork();
      if (n > 0) {
        socket.write(encodeHeader(FrameType.DATA, t.id, n));
        writeRange(socket, t, n);
      }
      const done = t.sent === t.total;
      if (done) {
        socket.write(encodeFrame(FrameType.DATA_END, t.id));
        this.transfers.delete(t.id);
        this.lastActive = Date.now();
      } else {
        this.queue.push(t);
      }
      socket.uncork();
      if (done) this.served(t.objectId);
      this.owner.noteQueued(socket.writableLength);
      if (socket.writableNeedDrain) {
        this.waitingDrain = true;
        socket.once('drain', () => {
          this.waitingDrain = false;
          this.pump();
        });
        return;
      }
    }
  }

  private served(objectId: string): void {
    if (!this.opts.onServed) return;
    try {
      this.opts.onServed(objectId);
    } catch (err) {
      this.opts.log.error({ objectId, err: (err as Error).message }, 'data-plane onServed threw');
    }
  }

  /** Tells the peer why (if it can), closes this connection, and keeps serving the others. */
  private refuse(code: WireErrorCode, message: string): void {
    this.closing = true;
    clearTimeout(this.timer);
    this.transfers.clear();
    this.queue = [];
    // Peers that proved nothing are logged rate-limited; a token holder's mistakes line by line.
    if (!this.authed) this.owner.refused(this.peer, message);
    else this.opts.log.warn({ peer: this.peer, reason: message }, 'data-plane connection closed');
    this.socket.end(encodeFrame(FrameType.ERROR, 0, encodeError(code, message)));
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

function isPartList(found: Uint8Array | readonly Uint8Array[]): found is readonly Uint8Array[] {
  return Array.isArray(found);
}

/** Writes the next `n` bytes of `t` as views of its parts (a frame may span several parts). */
function writeRange(socket: net.Socket, t: Transfer, n: number): void {
  let left = n;
  while (left > 0) {
    const part = t.parts[t.part]!;
    const take = Math.min(left, part.byteLength - t.offset);
    socket.write(part.subarray(t.offset, t.offset + take));
    t.offset += take;
    t.sent += take;
    left -= take;
    if (t.offset === part.byteLength) {
      t.part++;
      t.offset = 0;
    }
  }
}
