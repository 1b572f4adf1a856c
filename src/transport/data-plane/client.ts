import net from 'node:net';
import {
  InvalidArgumentError,
  OwnerDiedError,
  ShutDownError,
  TimeoutError,
  type TroupeError,
  UnauthenticatedError,
  UnavailableError,
} from '../../common/index.js';
import { FrameParser, type FrameHeader } from '../framing/index.js';
import {
  DATA_PLANE,
  FrameError,
  FrameType,
  MAX_OBJECT_ID_BYTES,
  WireErrorCode,
  decodeError,
  decodeLength,
  encodeFrame,
  encodeIds,
  frameRules,
  type CountKind,
} from './frames.js';
import { checkToken } from './server.js';

export interface DataPlaneClientOptions {
  /** The cluster token, sent in the HELLO frame of every connection. At most 1024 bytes of utf-8. */
  token: string;
  /**
   * Count frames written this recently before a server's IDLE notice arrived were not read there
   * (it closes only after a whole idle timeout with no frame), so they are sent again on a new
   * connection. Must stay below the servers' idle timeout (5 min by default). Default 30 000 ms.
   */
  countResendMs?: number;
}

export interface PullOptions {
  /** Reject with TimeoutError if the whole object has not arrived by then. Default 60 000 ms. */
  timeoutMs?: number;
}

const CLIENT_RULES = frameRules([
  FrameType.HELLO_OK,
  FrameType.DATA_BEGIN,
  FrameType.DATA,
  FrameType.DATA_END,
  FrameType.ERROR,
]);

/** Pulls objects from DataPlaneServers; one TCP connection per server address, reused. */
export class DataPlaneClient {
  private readonly conns = new Map<string, Connection>();
  private closed = false;

  constructor(private readonly opts: DataPlaneClientOptions) {
    checkToken(opts.token);
  }

  /**
   * The bytes of `objectId` held by the server at `address` ('host:port'). The result owns its
   * ArrayBuffer exactly (byteOffset 0, 8-byte aligned), so it can be viewed as a Float64Array.
   */
  pull(address: string, objectId: string, options: PullOptions = {}): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new ShutDownError('the data-plane client was closed'));
    if (Buffer.byteLength(objectId, 'utf8') > MAX_OBJECT_ID_BYTES) {
      return Promise.reject(
        new InvalidArgumentError(`objectId must be at most ${MAX_OBJECT_ID_BYTES} bytes of utf-8`, {
          context: { field: 'objectId' },
        }),
      );
    }
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    return this.pullOn(address, objectId, deadline, true);
  }

  /**
   * One try on the connection to `address` (dialed when there is none). A server closes a
   * connection that stayed idle; a PULL that crossed its notice on the wire was never read there,
   * so it is sent once more on a new connection.
   */
  private pullOn(address: string, objectId: string, deadline: number, again: boolean): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new ShutDownError('the data-plane client was closed'));
    const pulling = this.connection(address).pull(objectId, Math.max(1, deadline - Date.now()));
    if (!again) return pulling;
    return pulling.catch((err: unknown) => {
      if (!(err instanceof ClosedIdle)) throw err;
      return this.pullOn(address, objectId, deadline, false);
    });
  }

  /**
   * Sends a count frame (BORROW, RELEASE or FREE) for these ids to the server at `address`, on the
   * one connection to it, so that counts sent one after another arrive in that order. Nothing comes
   * back: a server that is gone takes its objects with it. Ids over MAX_OBJECT_ID_BYTES are refused.
   */
  count(address: string, kind: CountKind, ids: readonly string[]): void {
    if (this.closed || ids.length === 0) return;
    const frames = encodeIds(ids).map((p) => encodeFrame(FrameType[kind], 0, p));
    this.connection(address).send(frames);
  }

  /** Closes every connection; pulls in flight reject with ShutDownError, counts already written still go out. */
  close(): void {
    this.closed = true;
    for (const c of this.conns.values()) c.fail(new ShutDownError('the data-plane client was closed'), true);
    this.conns.clear();
  }

  private connection(address: string): Connection {
    const conn = this.conns.get(address);
    if (conn) return conn;
    const fresh = new Connection(address, this.opts.token, this.opts.countResendMs ?? 30_000, (err) => {
      if (this.conns.get(address) === fresh) this.conns.delete(address);
      // Counts that crossed the server's idle notice were never read: again, on a new connection.
      if (err instanceof ClosedIdle && !this.closed) {
        const unread = fresh.recentCounts();
        if (unread.length > 0) this.connection(address).send(unread);
      }
    });
    this.conns.set(address, fresh);
    return fresh;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** The server closed the connection as idle (WireErrorCode.IDLE): pulls on it may be sent again. */
class ClosedIdle extends UnavailableError {}

interface Pending {
  objectId: string;
  dest: Uint8Array | undefined;
  received: number;
  timer: NodeJS.Timeout;
  resolve: (bytes: Uint8Array) => void;
  reject: (err: Error) => void;
}

function splitAddress(address: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!m)
    throw new InvalidArgumentError(`data-plane address must be host:port, got "${address}"`, {
      context: { field: 'address' },
    });
  return { host: m[1]!, port: Number(m[2]) };
}

class Connection {
  private readonly socket: net.Socket | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly parser: FrameParser;
  private nextId = 1;
  private dead: Error | undefined;
  /** Count frames written lately, with when: those that may need sending again after an IDLE notice. */
  private counts: Array<{ at: number; frame: Buffer }> = [];

  constructor(
    private readonly address: string,
    token: string,
    private readonly countResendMs: number,
    private readonly onGone: (err: Error) => void,
  ) {
    this.parser = new FrameParser(DATA_PLANE, CLIENT_RULES, {
      control: (h, p) => this.onControl(h, p),
      begin: (h) => this.onDataBegin(h),
      end: (h) => this.onDataEnd(h),
    });
    let target: { host: string; port: number };
    try {
      target = splitAddress(address);
    } catch (err) {
      const dead = err as Error;
      this.dead = dead;
      queueMicrotask(() => onGone(dead));
      return;
    }
    // Inside a DATA payload of a pull with a destination, the parser has the socket read straight
    // into that destination, so object bytes are never copied in userland.
    const socket = net.connect({
      ...target,
      noDelay: true,
      onread: { buffer: () => this.parser.readBuffer(), callback: (n, buf) => this.onRead(n, buf) },
    });
    this.socket = socket;
    socket.write(encodeFrame(FrameType.HELLO, 0, Buffer.from(token, 'utf8')));
    socket.on('error', (err) => this.fail(this.lost(err)));
    socket.on('close', () => this.fail(this.lost()));
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    try {
      this.parser.onRead(n, buf);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      const message = `data-plane peer ${this.address} broke the protocol: ${err.message}`;
      this.fail(new UnavailableError(message, { context: { address: this.address } }));
    }
    return true;
  }

  pull(objectId: string, timeoutMs: number): Promise<Uint8Array> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        if (this.socket?.writable) this.socket.write(encodeFrame(FrameType.CANCEL, id));
        reject(
          new TimeoutError(`pull of object ${objectId} from ${this.address} did not finish within ${timeoutMs} ms`, {
            context: { objectId, address: this.address },
          }),
        );
      }, timeoutMs);
      this.pending.set(id, { objectId, dest: undefined, received: 0, timer, resolve, reject });
      this.socket!.write(encodeFrame(FrameType.PULL, id, Buffer.from(objectId, 'utf8')));
    });
  }

  /** Writes count frames (after the HELLO, which went first); dropped on a connection already gone. */
  send(frames: readonly Buffer[]): void {
    if (this.dead || !this.socket) return;
    const now = Date.now();
    while (this.counts.length > 0 && now - this.counts[0]!.at > this.countResendMs) this.counts.shift();
    for (const frame of frames) {
      this.counts.push({ at: now, frame });
      this.socket.write(frame);
    }
  }

  /** The count frames written within the resend window, oldest first. */
  recentCounts(): Buffer[] {
    const since = Date.now() - this.countResendMs;
    return this.counts.filter((c) => c.at >= since).map((c) => c.frame);
  }

  /**
   * Rejects every pending pull with `err` and drops the connection (idempotent). `flush`: what was
   * written still goes out before the socket closes (a client closing, not a connection failing).
   */
  fail(err: Error, flush = false): void {
    if (!this.dead) {
      this.dead = err;
      this.onGone(err);
    }
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    if (flush && this.socket && this.counts.length > 0) {
      this.socket.end();
      setTimeout(() => this.socket?.destroy(), 1000).unref();
    } else this.socket?.destroy();
  }

  private lost(cause?: Error): UnavailableError {
    const where = this.parser.midFrame();
    const closed = where === undefined ? 'connection closed' : `connection closed ${where}`;
    const why = cause ? `: ${cause.message}` : ` (${closed})`;
    return new UnavailableError(`data-plane peer ${this.address} is unavailable${why}`, {
      cause,
      context: { address: this.address },
    });
  }

  private onControl(h: FrameHeader, payload: Buffer): void {
    if (h.type === FrameType.HELLO_OK) return;
    if (h.type === FrameType.ERROR && h.word === 0) {
      this.fail(this.remoteError(decodeError(payload), undefined));
      return;
    }
    const p = this.pending.get(h.word);
    if (!p) return; // timed out and cancelled; its remaining frames are dropped
    switch (h.type) {
      case FrameType.DATA_BEGIN: {
        if (p.dest) throw new FrameError(`second DATA_BEGIN for request ${h.word}`);
        // A fresh ArrayBuffer: offset 0, exact size, aligned for any typed-array view.
        p.dest = new Uint8Array(new ArrayBuffer(decodeLength(payload)));
        return;
      }
      case FrameType.DATA_END:
        if (!p.dest || p.received !== p.dest.byteLength) {
          const of = p.dest?.byteLength ?? '?';
          throw new FrameError(`DATA_END for request ${h.word} after ${p.received} of ${of} bytes`);
        }
        this.settle(h.word, p).resolve(p.dest);
        return;
      case FrameType.ERROR:
        this.settle(h.word, p).reject(this.remoteError(decodeError(payload), p.objectId));
        return;
      default:
        throw new FrameError(`unexpected ${h.type} frame`);
    }
  }

  /** Where a DATA payload lands: the next slice of its pull's destination; null for a pull given up. */
  private onDataBegin(h: FrameHeader): Uint8Array | null {
    const p = this.pending.get(h.word);
    if (!p) return null;
    if (!p.dest || p.received + h.length > p.dest.byteLength) {
      throw new FrameError(`DATA for request ${h.word} beyond its announced length`);
    }
    return p.dest.subarray(p.received, p.received + h.length);
  }

  private onDataEnd(h: FrameHeader): void {
    const p = this.pending.get(h.word);
    if (p) p.received += h.length;
  }

  private settle(id: number, p: Pending): Pending {
    clearTimeout(p.timer);
    this.pending.delete(id);
    return p;
  }

  private remoteError(e: { code: number; message: string }, objectId: string | undefined): TroupeError {
    const context = { address: this.address, ...(objectId === undefined ? {} : { objectId }) };
    switch (e.code) {
      case WireErrorCode.NOT_FOUND:
        return new InvalidArgumentError(
          `object ${objectId} not found on data-plane server ${this.address}: it was never stored there or has been freed`,
          { context: { ...context, field: 'objectId' } },
        );
      case WireErrorCode.OWNER_DIED:
        return new OwnerDiedError(`data-plane server ${this.address}: ${e.message}`, { context });
      case WireErrorCode.IDLE:
        return new ClosedIdle(`data-plane server ${this.address} closed an idle connection: ${e.message}`, {
          context,
        });
      case WireErrorCode.UNAUTHENTICATED:
        return new UnauthenticatedError(
          `data-plane server ${this.address} refused the connection: ${e.message}; check that both sides use the same cluster token`,
          { context },
        );
      default:
        return new UnavailableError(`data-plane server ${this.address} failed: ${e.message}`, { context });
    }
  }
}
