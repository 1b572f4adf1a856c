/**
 * A PeerTransport over TCP: one connection per pair of ranks, raw tensor bytes on the wire.
 *
 * Every frame is a fixed 20-byte header, then the tag (utf-8), then the payload:
 *
 *   0  'TRCL' magic (4 bytes)      8  tag length in bytes (u32 BE)
 *   4  version (u8)               12  payload length, high u32 BE
 *   5  frame type (u8)            16  payload length, low u32 BE
 *   6  dtype (u8: 0 none, 1 f32, 2 f64)
 *   7  reserved (u8, zero)
 *
 * HELLO (payload: rank u32 BE, size u32 BE, token utf-8) opens each connection both ways: the lower
 * rank dials the higher and sends its HELLO; the higher checks the token (constant time), the rank
 * and the group size, and answers with its own HELLO, or logs and drops the socket and goes on
 * waiting for the right peer. DATA carries one tensor's bytes, ABORT (payload: utf-8 reason) says
 * the sender gave up on the group.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { InvalidArgumentError, TimeoutError, UnavailableError } from '../common/errors.js';
import { logger, type Logger } from '../common/logger.js';
import type { PeerTransport, Tensor } from './transport.js';

export const COLLECTIVE_MAGIC = 0x5452434c; // 'TRCL'
export const COLLECTIVE_VERSION = 1;
export const COLLECTIVE_HEADER_BYTES = 20;

export const CollectiveFrame = { HELLO: 1, DATA: 2, ABORT: 3 } as const;
type FrameType = (typeof CollectiveFrame)[keyof typeof CollectiveFrame];

const DTYPE_F32 = 1;
const DTYPE_F64 = 2;
const MAX_TAG_BYTES = 4096;
const MAX_CONTROL_BYTES = 64 * 1024;
/** Largest tensor accepted by default (bytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 2 ** 31;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export interface TcpPeerTransportOptions {
  rank: number;
  size: number;
  /** Shared secret every rank of the group presents in its HELLO. */
  token: string;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port?: number;
  /** Largest tensor accepted from a peer, in bytes. Default 2 GiB. */
  maxMessageBytes?: number;
  log?: Logger;
}

export interface ConnectOptions {
  /** How long to wait for every peer to be connected. Default 30000 ms. */
  timeoutMs?: number;
}

interface Waiter {
  resolve(data: Tensor): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** What this rank knows about one peer. */
interface Peer {
  socket: net.Socket | undefined;
  queues: Map<string, Tensor[]>;
  waiters: Map<string, Waiter[]>;
  /** Set once the peer is gone (closed, aborted); every recv from it rejects with this. */
  dead: UnavailableError | undefined;
  /** Settles (rejects) when the peer dies; sends race against it. */
  gone: Promise<never>;
  kill(err: UnavailableError): void;
}

class ProtocolError extends Error {
  override name = 'ProtocolError';
}

const digest = (s: string | Buffer): Buffer => createHash('sha256').update(s).digest();

function encodeHeader(type: FrameType, dtype: number, tagBytes: number, length: number): Buffer {
  const h = Buffer.allocUnsafe(COLLECTIVE_HEADER_BYTES);
  h.writeUInt32BE(COLLECTIVE_MAGIC, 0);
  h.writeUInt8(COLLECTIVE_VERSION, 4);
  h.writeUInt8(type, 5);
  h.writeUInt8(dtype, 6);
  h.writeUInt8(0, 7);
  h.writeUInt32BE(tagBytes, 8);
  h.writeUInt32BE(Math.floor(length / 2 ** 32), 12);
  h.writeUInt32BE(length >>> 0, 16);
  return h;
}

function controlFrame(type: FrameType, payload: Buffer): Buffer {
  return Buffer.concat([encodeHeader(type, 0, 0, payload.length), payload]);
}

interface Frame {
  type: FrameType;
  dtype: number;
  tag: string;
  payload: Uint8Array;
}

/** Incremental parser for one connection; DATA payloads land in a fresh exactly sized ArrayBuffer. */
class Parser {
  private readonly head = Buffer.alloc(COLLECTIVE_HEADER_BYTES);
  private headFill = 0;
  private type: FrameType = CollectiveFrame.DATA;
  private dtype = 0;
  private tagBuf: Buffer | undefined;
  private tagFill = 0;
  private tag = '';
  private body: Uint8Array | undefined;
  private bodyFill = 0;
  private stage: 'head' | 'tag' | 'body' = 'head';

  constructor(
    private readonly maxMessageBytes: number,
    private readonly onFrame: (f: Frame) => void,
  ) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.stage === 'head') {
        const take = Math.min(COLLECTIVE_HEADER_BYTES - this.headFill, chunk.length - at);
        chunk.copy(this.head, this.headFill, at, at + take);
        this.headFill += take;
        at += take;
        if (this.headFill === COLLECTIVE_HEADER_BYTES) this.startFrame();
      } else if (this.stage === 'tag') {
        const tagBuf = this.tagBuf!;
        const take = Math.min(tagBuf.length - this.tagFill, chunk.length - at);
        chunk.copy(tagBuf, this.tagFill, at, at + take);
        this.tagFill += take;
        at += take;
        if (this.tagFill === tagBuf.length) {
          this.tag = tagBuf.toString('utf8');
          this.tagBuf = undefined;
          this.afterTag();
        }
      } else {
        const body = this.body!;
        const take = Math.min(body.length - this.bodyFill, chunk.length - at);
        body.set(chunk.subarray(at, at + take), this.bodyFill);
        this.bodyFill += take;
        at += take;
        if (this.bodyFill === body.length) this.finish();
      }
    }
  }

  private startFrame(): void {
    const h = this.head;
    this.headFill = 0;
    if (h.readUInt32BE(0) !== COLLECTIVE_MAGIC) throw new ProtocolError('bad magic');
    if (h.readUInt8(4) !== COLLECTIVE_VERSION) throw new ProtocolError(`unsupported version ${h.readUInt8(4)}`);
    const type = h.readUInt8(5);
    if (type !== CollectiveFrame.HELLO && type !== CollectiveFrame.DATA && type !== CollectiveFrame.ABORT) {
      throw new ProtocolError(`unknown frame type ${type}`);
    }
    this.type = type;
    this.dtype = h.readUInt8(6);
    const tagBytes = h.readUInt32BE(8);
    const length = h.readUInt32BE(12) * 2 ** 32 + h.readUInt32BE(16);
    if (tagBytes > MAX_TAG_BYTES) throw new ProtocolError(`tag of ${tagBytes} bytes exceeds ${MAX_TAG_BYTES}`);
    if (type === CollectiveFrame.DATA) {
      const width = this.dtype === DTYPE_F32 ? 4 : this.dtype === DTYPE_F64 ? 8 : 0;
      if (width === 0) throw new ProtocolError(`unknown dtype ${this.dtype}`);
      if (length % width !== 0) throw new ProtocolError(`payload of ${length} bytes is not a whole number of elements`);
      if (length > this.maxMessageBytes) throw new ProtocolError(`payload of ${length} bytes exceeds ${this.maxMessageBytes}`);
    } else if (length > MAX_CONTROL_BYTES) {
      throw new ProtocolError(`control payload of ${length} bytes exceeds ${MAX_CONTROL_BYTES}`);
    }
    this.body = new Uint8Array(new ArrayBuffer(length));
    this.bodyFill = 0;
    this.tag = '';
    if (tagBytes > 0) {
      this.tagBuf = Buffer.allocUnsafe(tagBytes);
      this.tagFill = 0;
      this.stage = 'tag';
    } else {
      this.afterTag();
    }
  }

  private afterTag(): void {
    if (this.body!.length === 0) this.finish();
    else this.stage = 'body';
  }

  private finish(): void {
    const f: Frame = { type: this.type, dtype: this.dtype, tag: this.tag, payload: this.body! };
    this.body = undefined;
    this.stage = 'head';
    this.onFrame(f);
  }
}

/**
 * One rank's end of a collective group over TCP. `create` listens; `connect` (given every rank's
 * address) opens one connection per peer; then it is a PeerTransport for the ring collectives.
 */
export class TcpPeerTransport implements PeerTransport {
  readonly rank: number;
  readonly size: number;
  private readonly tokenDigest: Buffer;
  private readonly tokenBytes: Buffer;
  private readonly peers: Peer[] = [];
  private readonly log: Logger;
  private readonly maxMessageBytes: number;
  private readonly pending = new Set<net.Socket>();
  private aborted: UnavailableError | undefined;
  private closed = false;
  private connectedListeners: Array<() => void> = [];

  private constructor(
    opts: TcpPeerTransportOptions,
    private readonly server: net.Server,
    readonly address: string,
  ) {
    this.rank = opts.rank;
    this.size = opts.size;
    this.tokenBytes = Buffer.from(opts.token, 'utf8');
    this.tokenDigest = digest(this.tokenBytes);
    this.log = opts.log ?? logger('collective-tcp');
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    for (let r = 0; r < this.size; r++) this.peers.push(this.newPeer());
    server.on('connection', (s) => this.accept(s));
  }

  /** Listens on host:port (default 127.0.0.1, a free port); `address` says where. */
  static async create(opts: TcpPeerTransportOptions): Promise<TcpPeerTransport> {
    const { rank, size, token } = opts;
    if (!Number.isInteger(size) || size < 1) {
      throw new InvalidArgumentError(`size must be an integer ≥ 1, got ${size}`, { context: { field: 'size' } });
    }
    if (!Number.isInteger(rank) || rank < 0 || rank >= size) {
      throw new InvalidArgumentError(`rank must be in [0, ${size}), got ${rank}`, { context: { field: 'rank' } });
    }
    if (typeof token !== 'string' || token.length === 0) {
      throw new InvalidArgumentError('token must be a non-empty string', { context: { field: 'token' } });
    }
    const host = opts.host ?? '127.0.0.1';
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as net.AddressInfo).port;
    const shown = host.includes(':') ? `[${host}]` : host;
    return new TcpPeerTransport(opts, server, `${shown}:${port}`);
  }

  /**
   * Connects to every peer: dials the ranks above this one and waits for those below to dial in.
   * `addresses[r]` is rank r's `address`. Rejects with TimeoutError naming the missing ranks.
   */
  async connect(addresses: readonly string[], opts: ConnectOptions = {}): Promise<void> {
    if (addresses.length !== this.size) {
      throw new InvalidArgumentError(`addresses must have ${this.size} entries, got ${addresses.length}`, {
        context: { field: 'addresses' },
      });
    }
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const missing = () => this.peers.map((p, r) => (r !== this.rank && !p.socket ? r : -1)).filter((r) => r >= 0);
    let stop = false;
    const dials = [];
    for (let r = this.rank + 1; r < this.size; r++) dials.push(this.dialLoop(r, addresses[r]!, deadline, () => stop));
    try {
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (this.closed) {
            reject(new UnavailableError(`rank ${this.rank}: transport closed while connecting`));
            return true;
          }
          if (missing().length === 0) {
            resolve();
            return true;
          }
          return false;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          this.connectedListeners = this.connectedListeners.filter((l) => l !== listener);
          reject(
            new TimeoutError(`rank ${this.rank}: ranks ${missing().join(', ')} not connected within ${timeoutMs} ms`, {
              context: { peerRank: missing().join(',') },
            }),
          );
        }, timeoutMs);
        const listener = () => {
          if (check()) {
            clearTimeout(timer);
            this.connectedListeners = this.connectedListeners.filter((l) => l !== listener);
          }
        };
        this.connectedListeners.push(listener);
      });
    } finally {
      stop = true;
    }
    await Promise.allSettled(dials);
  }

  private notifyConnected(): void {
    for (const l of [...this.connectedListeners]) l();
  }

  private async dialLoop(to: number, address: string, deadline: number, stopped: () => boolean): Promise<void> {
    let backoff = 20;
    while (!stopped() && !this.closed && !this.peers[to]!.socket && Date.now() < deadline) {
      try {
        await this.dialOnce(to, address, Math.max(1, deadline - Date.now()));
        return;
      } catch (err) {
        this.log.debug({ err, to, address }, 'collective dial failed; retrying');
        await new Promise((r) => setTimeout(r, Math.min(backoff, Math.max(0, deadline - Date.now()))));
        backoff = Math.min(backoff * 2, 500);
      }
    }
  }

  private dialOnce(to: number, address: string, timeoutMs: number): Promise<void> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    const port = Number(address.slice(i + 1));
    return new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host, port, noDelay: true });
      this.pending.add(socket);
      let done = false;
      const fail = (err: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(socket);
        socket.destroy();
        reject(err);
      };
      const timer = setTimeout(() => fail(new Error(`handshake with rank ${to} timed out`)), Math.min(timeoutMs, HANDSHAKE_TIMEOUT_MS));
      socket.on('error', fail);
      socket.on('close', () => fail(new Error(`rank ${to} closed the connection during the handshake`)));
      socket.once('connect', () => socket.write(this.hello()));
      const parser = new Parser(this.maxMessageBytes, (f) => {
        if (!done) {
          const err = this.checkHello(f, to);
          if (err) {
            this.log.warn({ to, address, reason: err }, 'collective peer refused: bad HELLO reply');
            fail(new Error(err));
            return;
          }
          done = true;
          clearTimeout(timer);
          this.pending.delete(socket);
          socket.removeAllListeners('error');
          socket.removeAllListeners('close');
          this.attach(to, socket, parser);
          resolve();
          return;
        }
        this.onFrame(to, f);
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          parser.push(chunk);
        } catch (err) {
          if (!done) fail(err as Error);
          else this.protocolFailure(to, socket, err);
        }
      });
    });
  }

  private hello(): Buffer {
    const p = Buffer.allocUnsafe(8 + this.tokenBytes.length);
    p.writeUInt32BE(this.rank, 0);
    p.writeUInt32BE(this.size, 4);
    this.tokenBytes.copy(p, 8);
    return controlFrame(CollectiveFrame.HELLO, p);
  }

  /** Why a HELLO is unacceptable, or undefined when it is fine; `expect` is the rank it must name. */
  private checkHello(f: Frame, expect: number | ((r: number) => boolean)): string | undefined {
    if (f.type !== CollectiveFrame.HELLO) return `expected HELLO, got frame type ${f.type}`;
    if (f.payload.length < 8) return 'HELLO payload too short';
    const p = Buffer.from(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength);
    const rank = p.readUInt32BE(0);
    const size = p.readUInt32BE(4);
    const tokenOk = timingSafeEqual(digest(p.subarray(8)), this.tokenDigest);
    if (!tokenOk) return 'wrong token';
    if (size !== this.size) return `group size ${size}, expected ${this.size}`;
    const ok = typeof expect === 'number' ? rank === expect : expect(rank);
    if (!ok) return `unexpected rank ${rank}`;
    return undefined;
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.pending.add(socket);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let done = false;
    let from = -1;
    const refuse = (reason: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.pending.delete(socket);
      this.log.warn({ remote, reason, rank: this.rank }, 'collective connection refused');
      socket.destroy();
    };
    const timer = setTimeout(() => refuse('no HELLO in time'), HANDSHAKE_TIMEOUT_MS);
    socket.on('error', () => refuse('socket error during handshake'));
    socket.on('close', () => {
      if (!done) {
        done = true;
        clearTimeout(timer);
        this.pending.delete(socket);
      }
    });
    const parser = new Parser(this.maxMessageBytes, (f) => {
      if (!done) {
        const err = this.checkHello(f, (r: number) => r < this.rank);
        if (err) return refuse(err);
        from = Buffer.from(f.payload.buffer, f.payload.byteOffset, 4).readUInt32BE(0);
        if (this.peers[from]!.socket || this.peers[from]!.dead) return refuse(`rank ${from} is already connected`);
        done = true;
        clearTimeout(timer);
        this.pending.delete(socket);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        socket.write(this.hello());
        this.attach(from, socket, parser);
        return;
      }
      this.onFrame(from, f);
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (err) {
        if (!done) refuse(err instanceof Error ? err.message : String(err));
        else this.protocolFailure(from, socket, err);
      }
    });
  }

  private protocolFailure(from: number, socket: net.Socket, err: unknown): void {
    this.log.warn({ err, from, rank: this.rank }, 'collective peer broke the protocol; dropping it');
    this.peers[from]!.kill(
      new UnavailableError(`rank ${from} sent a malformed frame: ${err instanceof Error ? err.message : String(err)}`, {
        context: { peerRank: String(from) },
      }),
    );
    socket.destroy();
  }

  private attach(from: number, socket: net.Socket, _parser: Parser): void {
    const peer = this.peers[from]!;
    peer.socket = socket;
    socket.on('error', (err) => this.log.debug({ err, from }, 'collective peer socket error'));
    socket.on('close', () =>
      peer.kill(
        new UnavailableError(`rank ${from} closed its connection to rank ${this.rank}`, { context: { peerRank: String(from) } }),
      ),
    );
    if (this.aborted) socket.write(controlFrame(CollectiveFrame.ABORT, Buffer.from(this.aborted.message, 'utf8')));
    this.notifyConnected();
  }

  private newPeer(): Peer {
    let rejectGone!: (err: Error) => void;
    const gone = new Promise<never>((_, reject) => (rejectGone = reject));
    gone.catch(() => {});
    const peer: Peer = {
      socket: undefined,
      queues: new Map(),
      waiters: new Map(),
      dead: undefined,
      gone,
      kill: (err) => {
        if (peer.dead) return;
        peer.dead = err;
        peer.queues.clear();
        for (const list of peer.waiters.values()) {
          for (const w of list) {
            if (w.timer) clearTimeout(w.timer);
            w.reject(err);
          }
        }
        peer.waiters.clear();
        rejectGone(err);
      },
    };
    return peer;
  }

  private onFrame(from: number, f: Frame): void {
    const peer = this.peers[from]!;
    if (f.type === CollectiveFrame.ABORT) {
      const reason = Buffer.from(f.payload.buffer, f.payload.byteOffset, f.payload.byteLength).toString('utf8');
      peer.kill(new UnavailableError(`rank ${from} gave up: ${reason}`, { context: { peerRank: String(from) } }));
      return;
    }
    if (f.type !== CollectiveFrame.DATA) {
      this.protocolFailure(from, peer.socket!, new ProtocolError(`unexpected frame type ${f.type}`));
      return;
    }
    if (peer.dead) return;
    const buf = f.payload.buffer;
    const data: Tensor = f.dtype === DTYPE_F64 ? new Float64Array(buf) : new Float32Array(buf);
    this.deliver(peer, f.tag, data);
  }

  private deliver(peer: Peer, tag: string, data: Tensor): void {
    const list = peer.waiters.get(tag);
    const w = list?.shift();
    if (list && list.length === 0) peer.waiters.delete(tag);
    if (w) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve(data);
      return;
    }
    const q = peer.queues.get(tag);
    if (q) q.push(data);
    else peer.queues.set(tag, [data]);
  }

  private checkRank(r: number, field: string): void {
    if (!Number.isInteger(r) || r < 0 || r >= this.size) {
      throw new InvalidArgumentError(`${field} must be a rank in [0, ${this.size}), got ${r}`, { context: { field } });
    }
  }

  async send(to: number, tag: string, data: Tensor): Promise<void> {
    this.checkRank(to, 'to');
    if (this.aborted) throw this.aborted;
    if (this.closed) throw new UnavailableError(`rank ${this.rank}: transport closed`);
    const peer = this.peers[to]!;
    if (peer.dead) throw peer.dead;
    if (to === this.rank) {
      this.deliver(peer, tag, data.slice());
      return;
    }
    const socket = peer.socket;
    if (!socket) {
      throw new UnavailableError(`rank ${to} is not connected to rank ${this.rank} (call connect first)`, {
        context: { peerRank: String(to) },
      });
    }
    const tagBytes = Buffer.from(tag, 'utf8');
    if (tagBytes.length > MAX_TAG_BYTES) {
      throw new InvalidArgumentError(`tag longer than ${MAX_TAG_BYTES} bytes`, { context: { field: 'tag' } });
    }
    const dtype = data instanceof Float64Array ? DTYPE_F64 : DTYPE_F32;
    const head = Buffer.concat([encodeHeader(CollectiveFrame.DATA, dtype, tagBytes.length, data.byteLength), tagBytes]);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const unavailable = (err: unknown) =>
      peer.dead ??
      new UnavailableError(`rank ${to}: send failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        context: { peerRank: String(to) },
      });
    // The socket keeps a reference to `body` until it is flushed: resolve only once it has been,
    // so the caller may reuse `data`; and wait for 'drain' when the socket's buffer is full.
    let ok = true;
    const flushed = new Promise<void>((resolve, reject) => {
      const cb = (err: Error | null | undefined) => (err ? reject(unavailable(err)) : resolve());
      socket.cork();
      if (body.length === 0) {
        ok = socket.write(head, cb);
      } else {
        socket.write(head);
        ok = socket.write(body, cb);
      }
      socket.uncork();
    });
    flushed.catch(() => {});
    let drained: Promise<void> = Promise.resolve();
    if (!ok) {
      drained = new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
    await Promise.race([Promise.all([flushed, drained]), peer.gone]);
  }

  recv(from: number, tag: string, timeoutMs: number): Promise<Tensor> {
    this.checkRank(from, 'from');
    if (this.aborted) return Promise.reject(this.aborted);
    const peer = this.peers[from]!;
    if (peer.dead) return Promise.reject(peer.dead);
    if (this.closed) return Promise.reject(new UnavailableError(`rank ${this.rank}: transport closed`));
    const q = peer.queues.get(tag);
    const data = q?.shift();
    if (q && q.length === 0) peer.queues.delete(tag);
    if (data) return Promise.resolve(data);
    return new Promise<Tensor>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: undefined };
      if (Number.isFinite(timeoutMs)) {
        w.timer = setTimeout(() => {
          const list = peer.waiters.get(tag);
          const i = list ? list.indexOf(w) : -1;
          if (list && i >= 0) list.splice(i, 1);
          if (list && list.length === 0) peer.waiters.delete(tag);
          reject(
            new TimeoutError(`rank ${from} did not send within ${timeoutMs} ms (tag ${tag})`, {
              context: { peerRank: String(from) },
            }),
          );
        }, timeoutMs);
      }
      const list = peer.waiters.get(tag);
      if (list) list.push(w);
      else peer.waiters.set(tag, [w]);
    });
  }

  /**
   * This rank gives up: peers are told with an ABORT frame (their recvs from this rank reject with
   * `reason`), and this rank's own pending and future sends and recvs reject too.
   */
  abort(reason: Error): void {
    if (this.aborted || this.closed) return;
    const err = new UnavailableError(`rank ${this.rank} gave up: ${reason.message}`, {
      cause: reason,
      context: { peerRank: String(this.rank) },
    });
    this.aborted = err;
    const frame = controlFrame(CollectiveFrame.ABORT, Buffer.from(reason.message.slice(0, 8 * 1024), 'utf8'));
    for (const p of this.peers) {
      if (p.socket && !p.socket.destroyed) p.socket.write(frame);
    }
    for (const p of this.peers) p.kill(err);
  }

  /** Drops every connection at once and stops listening; pending recvs reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new UnavailableError(`rank ${this.rank}: transport closed`, { context: { peerRank: String(this.rank) } });
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    for (const p of this.peers) {
      p.socket?.destroy();
      p.kill(err);
    }
    this.notifyConnected();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
