/**
 * A PeerTransport over TCP: one connection per ordered pair of ranks, raw tensor bytes on the wire.
 *
 * Every frame is a fixed 20-byte header, then the tag (utf-8), then the payload:
 *
 *   0  'TRCL' magic (4 bytes)      8  tag length in bytes (u32 BE)
 *   4  version (u8, 2)            12  payload length, high u32 BE
 *   5  frame type (u8)            16  payload length, low u32 BE
 *   6  dtype (u8: 0 none, 1 f32, 2 f64)
 *   7  reserved (u8, zero)
 *
 * Connections are one-way. Messages from rank a to rank b travel on a connection that b dials to
 * a: b sends HELLO (payload: rank u32 BE, size u32 BE, token utf-8); a checks the token (constant
 * time), the rank and the group size, and answers with its own HELLO, or logs and drops the socket
 * and goes on waiting for the right peer. After the HELLOs, a writes DATA (one tensor's bytes) and
 * ABORT (payload: utf-8 reason; the sender gave up on the group) frames on it and b writes
 * nothing. So every rank dials every other rank once, and a pair of ranks shares two connections.
 *
 * Why one-way: Node lets only the dialing side of a socket choose where each read lands (`onread`).
 * The reader points the kernel at the destination of a `recvInto` while inside its DATA payload,
 * so tensor bytes are copied once, socket to destination, with nothing allocated per message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { InvalidArgumentError, TimeoutError, UnavailableError } from '../common/errors.js';
import { logger, type Logger } from '../common/logger.js';
import { copyInto, shapeError, type PeerTransport, type Tensor } from './transport.js';

export const COLLECTIVE_MAGIC = 0x5452434c; // 'TRCL'
export const COLLECTIVE_VERSION = 2;
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
/** Where reads land outside payloads going straight to their destination. */
const SCRATCH_BYTES = 256 * 1024;
/** A payload remainder at least this long is read in place; a shorter one via the scratch buffer. */
const DIRECT_MIN_BYTES = 16 * 1024;

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
  tag: string;
  /** recvInto's destination; undefined for a plain recv. */
  into: Tensor | undefined;
  timeoutMs: number;
  resolve(data: Tensor): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** What this rank knows about one peer. */
interface Peer {
  /** Dialed by this rank; the peer writes its messages here. */
  in: net.Socket | undefined;
  /** Dialed by the peer; this rank writes its messages to the peer here. */
  out: net.Socket | undefined;
  queues: Map<string, Tensor[]>;
  /** Per tag, FIFO; only the head's timer runs (a message is due once the ones before it came). */
  waiters: Map<string, Waiter[]>;
  /** The recvInto whose destination the payload now arriving is being read into. */
  filling: Waiter | undefined;
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
const dtypeName = (dtype: number): string => (dtype === DTYPE_F64 ? 'Float64Array' : 'Float32Array');

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

interface ControlFrame {
  type: FrameType;
  payload: Buffer;
}

/** Where a DATA payload goes, and what to do once it is complete. */
interface Body {
  bytes: Uint8Array;
  done(): void;
}

interface Sink {
  control(f: ControlFrame): void;
  /** A DATA frame's header and tag have arrived: say where its `length` bytes go. */
  data(tag: string, dtype: number, length: number): Body;
}

/**
 * Incremental parser for one connection. Fed either by `push` (a 'data' event's chunk) or by a
 * socket's `onread` (`nextBuffer` says where the next read lands, `consumed` takes it): then a
 * payload's bytes are read by the kernel straight into the Body that `Sink.data` chose.
 */
class Parser {
  private readonly head = Buffer.alloc(COLLECTIVE_HEADER_BYTES);
  private headFill = 0;
  private type: FrameType = CollectiveFrame.DATA;
  private dtype = 0;
  private length = 0;
  private tagBuf: Buffer | undefined;
  private tagFill = 0;
  private body: Body | undefined;
  private bodyFill = 0;
  private stage: 'head' | 'tag' | 'body' = 'head';
  private scratch: Buffer | undefined;
  /** The view handed out by nextBuffer when the next read goes straight into the body. */
  private direct: Uint8Array | undefined;
  /** Whether the last payload was long enough to be read in place. */
  private lastLarge = false;

  constructor(
    private readonly maxMessageBytes: number,
    private sink: Sink,
  ) {}

  setSink(sink: Sink): void {
    this.sink = sink;
  }

  /** onread's buffer function: the payload's own bytes when inside a long enough payload. */
  nextBuffer(): Uint8Array {
    if (this.stage === 'body' && this.body!.bytes.length - this.bodyFill >= DIRECT_MIN_BYTES) {
      this.direct = this.body!.bytes.subarray(this.bodyFill);
      return this.direct;
    }
    this.direct = undefined;
    const scratch = (this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES));
    // After a large payload another is likely: read just its header, then just its tag, so that
    // none of its payload passes through the scratch buffer. Small frames share one read.
    if (this.lastLarge && this.stage === 'head') return scratch.subarray(0, COLLECTIVE_HEADER_BYTES - this.headFill);
    if (this.lastLarge && this.stage === 'tag') return scratch.subarray(0, this.tagBuf!.length - this.tagFill);
    return scratch;
  }

  /** onread's callback: `n` bytes were read into `buf`, the last buffer nextBuffer returned. */
  consumed(n: number, buf: Uint8Array): void {
    if (buf === this.direct) {
      this.direct = undefined;
      this.bodyFill += n;
      if (this.bodyFill === this.body!.bytes.length) this.finish();
    } else {
      this.push(buf.subarray(0, n));
    }
  }

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.stage === 'head') {
        const take = Math.min(COLLECTIVE_HEADER_BYTES - this.headFill, chunk.length - at);
        this.head.set(chunk.subarray(at, at + take), this.headFill);
        this.headFill += take;
        at += take;
        if (this.headFill === COLLECTIVE_HEADER_BYTES) this.startFrame();
      } else if (this.stage === 'tag') {
        const tagBuf = this.tagBuf!;
        const take = Math.min(tagBuf.length - this.tagFill, chunk.length - at);
        tagBuf.set(chunk.subarray(at, at + take), this.tagFill);
        this.tagFill += take;
        at += take;
        if (this.tagFill === tagBuf.length) {
          const tag = tagBuf.toString('utf8');
          this.tagBuf = undefined;
          this.startBody(tag);
        }
      } else {
        const bytes = this.body!.bytes;
        const take = Math.min(bytes.length - this.bodyFill, chunk.length - at);
        bytes.set(chunk.subarray(at, at + take), this.bodyFill);
        this.bodyFill += take;
        at += take;
        if (this.bodyFill === bytes.length) this.finish();
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
    this.length = length;
    if (tagBytes > 0) {
      this.tagBuf = Buffer.allocUnsafe(tagBytes);
      this.tagFill = 0;
      this.stage = 'tag';
    } else {
      this.startBody('');
    }
  }

  private startBody(tag: string): void {
    if (this.type === CollectiveFrame.DATA) {
      this.body = this.sink.data(tag, this.dtype, this.length);
    } else {
      const payload = Buffer.alloc(this.length);
      const type = this.type;
      this.body = { bytes: payload, done: () => this.sink.control({ type, payload }) };
    }
    this.bodyFill = 0;
    if (this.length === 0) this.finish();
    else this.stage = 'body';
  }

  private finish(): void {
    const body = this.body!;
    this.lastLarge = body.bytes.length >= DIRECT_MIN_BYTES;
    this.body = undefined;
    this.stage = 'head';
    body.done();
  }
}

/**
 * One rank's end of a collective group over TCP. `create` listens; `connect` (given every rank's
 * address) opens the connections to every peer; then it is a PeerTransport for the ring collectives.
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
   * Connects to every peer: dials each one (for the messages it sends here) and waits for each to
   * dial in (for the messages this rank sends it). `addresses[r]` is rank r's `address`. Rejects
   * with TimeoutError naming the ranks not connected both ways in time.
   */
  async connect(addresses: readonly string[], opts: ConnectOptions = {}): Promise<void> {
    if (addresses.length !== this.size) {
      throw new InvalidArgumentError(`addresses must have ${this.size} entries, got ${addresses.length}`, {
        context: { field: 'addresses' },
      });
    }
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const missing = () =>
      this.peers.map((p, r) => (r !== this.rank && (!p.in || !p.out) ? r : -1)).filter((r) => r >= 0);
    let stop = false;
    const dials = [];
    for (let r = 0; r < this.size; r++) {
      if (r !== this.rank) dials.push(this.dialLoop(r, addresses[r]!, deadline, () => stop));
    }
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
    while (!stopped() && !this.closed && !this.peers[to]!.in && Date.now() < deadline) {
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

  /** Opens the connection on which rank `to` sends to this rank; this side owns its reads. */
  private dialOnce(to: number, address: string, timeoutMs: number): Promise<void> {
    const i = address.lastIndexOf(':');
    const host = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
    const port = Number(address.slice(i + 1));
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const fail = (err: Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.pending.delete(socket);
        socket.destroy();
        reject(err);
      };
      const handshake: Sink = {
        control: (f) => {
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
          parser.setSink(this.inSink(to, socket));
          this.attachIn(to, socket);
          resolve();
        },
        data: () => {
          throw new ProtocolError('DATA before HELLO');
        },
      };
      const parser = new Parser(this.maxMessageBytes, handshake);
      const socket = net.connect({
        host,
        port,
        noDelay: true,
        onread: {
          buffer: () => parser.nextBuffer(),
          callback: (n, buf) => {
            try {
              parser.consumed(n, buf);
            } catch (err) {
              if (!done) fail(err as Error);
              else this.protocolFailure(to, socket, err);
            }
            return true;
          },
        },
      });
      this.pending.add(socket);
      const timer = setTimeout(() => fail(new Error(`handshake with rank ${to} timed out`)), Math.min(timeoutMs, HANDSHAKE_TIMEOUT_MS));
      socket.on('error', fail);
      socket.on('close', () => fail(new Error(`rank ${to} closed the connection during the handshake`)));
      socket.once('connect', () => socket.write(this.hello()));
    });
  }

  /** What arrives from `from` after the handshake. */
  private inSink(from: number, socket: net.Socket): Sink {
    return {
      control: (f) => {
        if (f.type === CollectiveFrame.ABORT) {
          const reason = f.payload.toString('utf8');
          this.peers[from]!.kill(new UnavailableError(`rank ${from} gave up: ${reason}`, { context: { peerRank: String(from) } }));
        } else {
          this.protocolFailure(from, socket, new ProtocolError(`unexpected frame type ${f.type}`));
        }
      },
      data: (tag, dtype, length) => this.dataBody(from, tag, dtype, length),
    };
  }

  private hello(): Buffer {
    const p = Buffer.allocUnsafe(8 + this.tokenBytes.length);
    p.writeUInt32BE(this.rank, 0);
    p.writeUInt32BE(this.size, 4);
    this.tokenBytes.copy(p, 8);
    return controlFrame(CollectiveFrame.HELLO, p);
  }

  /** Why a HELLO is unacceptable, or undefined when it is fine; `expect` is the rank it must name. */
  private checkHello(f: ControlFrame, expect: number | ((r: number) => boolean)): string | undefined {
    if (f.type !== CollectiveFrame.HELLO) return `expected HELLO, got frame type ${f.type}`;
    const p = f.payload;
    if (p.length < 8) return 'HELLO payload too short';
    const rank = p.readUInt32BE(0);
    const size = p.readUInt32BE(4);
    const tokenOk = timingSafeEqual(digest(p.subarray(8)), this.tokenDigest);
    if (!tokenOk) return 'wrong token';
    if (size !== this.size) return `group size ${size}, expected ${this.size}`;
    const ok = typeof expect === 'number' ? rank === expect : expect(rank);
    if (!ok) return `unexpected rank ${rank}`;
    return undefined;
  }

  /** A peer dialed in: after the HELLOs this rank writes its messages for that peer here. */
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
    const parser = new Parser(MAX_CONTROL_BYTES, {
      control: (f) => {
        if (done) {
          this.protocolFailure(from, socket, new ProtocolError(`unexpected frame type ${f.type} from the reading side`));
          return;
        }
        const err = this.checkHello(f, (r: number) => r !== this.rank && r < this.size);
        if (err) return refuse(err);
        from = f.payload.readUInt32BE(0);
        if (this.peers[from]!.out || this.peers[from]!.dead) return refuse(`rank ${from} is already connected`);
        done = true;
        clearTimeout(timer);
        this.pending.delete(socket);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        socket.write(this.hello());
        this.attachOut(from, socket);
      },
      data: () => {
        throw new ProtocolError('DATA on the reading side of a connection');
      },
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

  private watch(from: number, socket: net.Socket): void {
    const peer = this.peers[from]!;
    socket.on('error', (err) => this.log.debug({ err, from }, 'collective peer socket error'));
    socket.on('close', () =>
      peer.kill(
        new UnavailableError(`rank ${from} closed its connection to rank ${this.rank}`, { context: { peerRank: String(from) } }),
      ),
    );
  }

  private attachIn(from: number, socket: net.Socket): void {
    this.peers[from]!.in = socket;
    this.watch(from, socket);
    this.notifyConnected();
  }

  private attachOut(to: number, socket: net.Socket): void {
    this.peers[to]!.out = socket;
    this.watch(to, socket);
    if (this.aborted) socket.write(controlFrame(CollectiveFrame.ABORT, Buffer.from(this.aborted.message, 'utf8')));
    this.notifyConnected();
  }

  private newPeer(): Peer {
    let rejectGone!: (err: Error) => void;
    const gone = new Promise<never>((_, reject) => (rejectGone = reject));
    gone.catch(() => {});
    const peer: Peer = {
      in: undefined,
      out: undefined,
      queues: new Map(),
      waiters: new Map(),
      filling: undefined,
      dead: undefined,
      gone,
      kill: (err) => {
        if (peer.dead) return;
        peer.dead = err;
        peer.queues.clear();
        const filling = peer.filling;
        if (filling) {
          // Stop reads into its destination before handing the destination back to the caller.
          peer.filling = undefined;
          peer.in?.pause();
          if (filling.timer) clearTimeout(filling.timer);
          filling.reject(err);
        }
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

  /** Starts the timer of the first waiter for `tag`, if it has none yet. */
  private arm(peer: Peer, from: number, tag: string): void {
    const w = peer.waiters.get(tag)?.[0];
    if (!w || w.timer || !Number.isFinite(w.timeoutMs)) return;
    w.timer = setTimeout(() => {
      const list = peer.waiters.get(tag);
      const i = list ? list.indexOf(w) : -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list && list.length === 0) peer.waiters.delete(tag);
      w.reject(
        new TimeoutError(`rank ${from} did not send within ${w.timeoutMs} ms (tag ${tag})`, { context: { peerRank: String(from) } }),
      );
      this.arm(peer, from, tag);
    }, w.timeoutMs);
  }

  /** Takes the first waiter for `tag` off its list and starts the next one's timer. */
  private take(peer: Peer, from: number, tag: string): Waiter | undefined {
    const list = peer.waiters.get(tag);
    const w = list?.shift();
    if (!w) return undefined;
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    if (list!.length === 0) peer.waiters.delete(tag);
    else this.arm(peer, from, tag);
    return w;
  }

  /**
   * Chooses where a DATA payload from `from` lands: in the destination of the first recvInto
   * waiting for its tag, when it fits; otherwise in a new buffer, queued or handed to a recv.
   */
  private dataBody(from: number, tag: string, dtype: number, length: number): Body {
    const peer = this.peers[from]!;
    const w = peer.dead ? undefined : peer.waiters.get(tag)?.[0];
    const fresh = () => new Uint8Array(new ArrayBuffer(length));
    if (w?.into) {
      this.take(peer, from, tag);
      const dest = w.into;
      const width = dtype === DTYPE_F64 ? 8 : 4;
      if (length !== dest.byteLength || (dtype === DTYPE_F64) !== dest instanceof Float64Array) {
        w.reject(shapeError(from, tag, { kind: dtypeName(dtype), length: length / width }, dest));
        return { bytes: fresh(), done: () => {} };
      }
      peer.filling = w;
      if (Number.isFinite(w.timeoutMs)) {
        // A peer that stops in the middle of a payload is dead to us: its bytes would land in
        // `dest` after we gave it back, so stop reading it altogether.
        w.timer = setTimeout(() => {
          peer.filling = undefined;
          peer.in?.pause();
          w.reject(
            new TimeoutError(`rank ${from} stalled for ${w.timeoutMs} ms in the middle of a message (tag ${tag})`, {
              context: { peerRank: String(from) },
            }),
          );
          peer.kill(new UnavailableError(`rank ${from} stalled in the middle of a message`, { context: { peerRank: String(from) } }));
        }, w.timeoutMs);
      }
      return {
        bytes: new Uint8Array(dest.buffer, dest.byteOffset, dest.byteLength),
        done: () => {
          if (peer.filling !== w) return;
          peer.filling = undefined;
          if (w.timer) clearTimeout(w.timer);
          w.resolve(dest);
        },
      };
    }
    const bytes = fresh();
    return {
      bytes,
      done: () => {
        if (peer.dead) return;
        this.deliver(peer, from, tag, dtype === DTYPE_F64 ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer));
      },
    };
  }

  private deliver(peer: Peer, from: number, tag: string, data: Tensor): void {
    const w = this.take(peer, from, tag);
    if (w) {
      if (!w.into) {
        w.resolve(data);
        return;
      }
      try {
        copyInto(from, tag, data, w.into);
        w.resolve(w.into);
      } catch (err) {
        w.reject(err as Error);
      }
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
      this.deliver(peer, to, tag, data.slice());
      return;
    }
    const socket = peer.out;
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
    const head = encodeHeader(CollectiveFrame.DATA, dtype, tagBytes.length, data.byteLength);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const unavailable = (err: unknown) =>
      peer.dead ??
      new UnavailableError(`rank ${to}: send failed: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
        context: { peerRank: String(to) },
      });
    // The socket keeps a reference to `body` (no copy) until it is flushed: resolve only once it
    // has been, so the caller may reuse `data`. Writes past the high-water mark just queue; the
    // flush callback is what paces the caller.
    const flushed = new Promise<void>((resolve, reject) => {
      const cb = (err: Error | null | undefined) => (err ? reject(unavailable(err)) : resolve());
      socket.cork();
      socket.write(head);
      if (body.length === 0) {
        socket.write(tagBytes, cb);
      } else {
        socket.write(tagBytes);
        socket.write(body, cb);
      }
      socket.uncork();
    });
    flushed.catch(() => {});
    await Promise.race([flushed, peer.gone]);
  }

  /** Checks shared by recv and recvInto; the rejection, if the message can never come. */
  private refusal(from: number): Error | undefined {
    this.checkRank(from, 'from');
    if (this.aborted) return this.aborted;
    const peer = this.peers[from]!;
    if (peer.dead) return peer.dead;
    if (this.closed) return new UnavailableError(`rank ${this.rank}: transport closed`);
    return undefined;
  }

  private wait(from: number, tag: string, into: Tensor | undefined, timeoutMs: number): Promise<Tensor> {
    const peer = this.peers[from]!;
    return new Promise<Tensor>((resolve, reject) => {
      const w: Waiter = { tag, into, timeoutMs, resolve, reject, timer: undefined };
      const list = peer.waiters.get(tag);
      if (list) list.push(w);
      else peer.waiters.set(tag, [w]);
      this.arm(peer, from, tag);
    });
  }

  private dequeue(from: number, tag: string): Tensor | undefined {
    const peer = this.peers[from]!;
    const q = peer.queues.get(tag);
    const data = q?.shift();
    if (q && q.length === 0) peer.queues.delete(tag);
    return data;
  }

  /**
   * The next message from `from` with `tag`. The timeout counts from when this recv is the oldest
   * one waiting for that tag from that rank.
   */
  recv(from: number, tag: string, timeoutMs: number): Promise<Tensor> {
    const no = this.refusal(from);
    if (no) return Promise.reject(no);
    const data = this.dequeue(from, tag);
    return data ? Promise.resolve(data) : this.wait(from, tag, undefined, timeoutMs);
  }

  /** As recv, but into `dest`: a payload that arrives after this call is read straight into it. */
  async recvInto(from: number, tag: string, dest: Tensor, timeoutMs: number): Promise<void> {
    const no = this.refusal(from);
    if (no) throw no;
    const data = this.dequeue(from, tag);
    if (data) copyInto(from, tag, data, dest);
    else await this.wait(from, tag, dest, timeoutMs);
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
      if (p.out && !p.out.destroyed) p.out.write(frame);
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
      p.in?.destroy();
      p.out?.destroy();
      p.kill(err);
    }
    this.notifyConnected();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
