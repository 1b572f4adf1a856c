/**
 * A PeerTransport over TCP: one connection per ordered pair of ranks, raw tensor bytes on the wire
 * in the collective protocol (wire.ts) on the shared framed-TCP codec (transport/framing).
 *
 * Every rank dials every other rank once (handshake.ts), so a pair of ranks shares two one-way
 * connections: the dialing side reads, and points the kernel at the destination of a `recvInto`
 * while inside its DATA payload (inbound-link.ts), so tensor bytes are copied once, socket to
 * destination, with nothing allocated per message. Messages wait in the shared Mailbox.
 */
import net from 'node:net';
import { InvalidArgumentError, TimeoutError, UnavailableError } from '../common/index.js';
import { RefusalLog, logger, type Logger } from '../common/index.js';
import type { FrameHandlers, FrameParser } from '../transport/index.js';
import { acceptPeer, dialUntil, Greeting, type HandshakeHost } from './handshake.js';
import { InboundLink } from './inbound-link.js';
import { Mailbox } from './mailbox.js';
import type { PeerTransport, FloatArray } from './transport.js';
import { CollectiveFrame, DTYPE_F32, DTYPE_F64, MAX_TAG_BYTES, controlFrame, dataHeader } from './wire.js';

/** Largest tensor accepted by default (bytes). */
export const DEFAULT_MAX_MESSAGE_BYTES = 2 ** 31;

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

export interface TcpConnectOptions {
  /** How long to wait for every peer to be connected. Default 30000 ms. */
  timeoutMs?: number;
}

/** The connections this rank has with one peer. */
interface Peer {
  /** Dialed by this rank; the peer writes its messages here. */
  in: net.Socket | undefined;
  /** Its parser, which says where a stream cut short stopped. */
  inParser: FrameParser | undefined;
  /** Dialed by the peer; this rank writes its messages to the peer here. */
  out: net.Socket | undefined;
  /** Settles (rejects) when the peer dies; sends race against it. */
  gone: Promise<never>;
  rejectGone(err: Error): void;
}

/**
 * One rank's end of a collective group over TCP. `create` listens; `connect` (given every rank's
 * address) opens the connections to every peer; then it is a PeerTransport for the ring collectives.
 */
export class TcpPeerTransport implements PeerTransport {
  readonly rank: number;
  readonly size: number;
  private readonly peers: Peer[] = [];
  private readonly mailbox: Mailbox;
  private readonly maxMessageBytes: number;
  private readonly host: HandshakeHost;
  private readonly pending = new Set<net.Socket>();
  private readonly log: Logger;
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
    this.log = opts.log ?? logger('collective-tcp');
    this.maxMessageBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.mailbox = new Mailbox(this.size);
    for (let r = 0; r < this.size; r++) {
      let rejectGone!: (err: Error) => void;
      const gone = new Promise<never>((_, reject) => (rejectGone = reject));
      gone.catch(() => {});
      this.peers.push({ in: undefined, inParser: undefined, out: undefined, gone, rejectGone });
    }
    this.host = {
      greeting: new Greeting(this.rank, this.size, opts.token),
      log: this.log,
      refusals: new RefusalLog(this.log, 'collective connection refused', { what: 'connections', eachReason: true }),
      pending: this.pending,
      // Each other rank dials in once (again after a failed try): room for all of them twice.
      maxPending: Math.max(64, 2 * this.size),
      isClosed: () => this.closed,
      mayAccept: (r) => !this.peers[r]!.out && !this.mailbox.dead(r),
      accepted: (r, socket) => this.attachOut(r, socket),
      linked: (r, socket, parser) => this.attachIn(r, socket, parser),
      protocolFailure: (r, socket, err) => this.protocolFailure(r, socket, err),
    };
    server.on('connection', (s) => acceptPeer(this.host, s));
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
  async connect(addresses: readonly string[], opts: TcpConnectOptions = {}): Promise<void> {
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
      if (r === this.rank) continue;
      const peer = this.peers[r]!;
      dials.push(
        dialUntil(this.host, r, addresses[r]!, deadline, this.maxMessageBytes, () => stop || peer.in !== undefined),
      );
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

  /** `from` is gone: its recvs reject with `err`, its sends stop waiting. */
  private kill(from: number, err: UnavailableError): void {
    const peer = this.peers[from]!;
    if (this.mailbox.dead(from)) return;
    // Stop reads into a destination before its recv's rejection hands it back to the caller.
    if (this.mailbox.fail(from, err)) peer.in?.pause();
    peer.rejectGone(err);
  }

  private protocolFailure(from: number, socket: net.Socket, err: unknown): void {
    this.log.warn({ err, from, rank: this.rank }, 'collective peer broke the protocol; dropping it');
    const why = err instanceof Error ? err.message : String(err);
    this.kill(
      from,
      new UnavailableError(`rank ${from} sent a malformed frame: ${why}`, { context: { peerRank: String(from) } }),
    );
    socket.destroy();
  }

  private watch(from: number, socket: net.Socket): void {
    socket.on('error', (err) => this.log.debug({ err, from }, 'collective peer socket error'));
    socket.on('close', () => {
      const peer = this.peers[from]!;
      const where = socket === peer.in ? peer.inParser?.midFrame() : undefined;
      const cut = where === undefined ? '' : ` ${where}`;
      const message = `rank ${from} closed its connection to rank ${this.rank}${cut}`;
      this.kill(from, new UnavailableError(message, { context: { peerRank: String(from) } }));
    });
  }

  private attachIn(from: number, socket: net.Socket, parser: FrameParser): FrameHandlers {
    const peer = this.peers[from]!;
    peer.in = socket;
    peer.inParser = parser;
    this.watch(from, socket);
    this.notifyConnected();
    return new InboundLink(from, this.mailbox, {
      aborted: (reason) =>
        this.kill(
          from,
          new UnavailableError(`rank ${from} gave up: ${reason}`, { context: { peerRank: String(from) } }),
        ),
      stalled: () => {
        // Its bytes would land in the destination after we gave it back: stop reading it altogether.
        socket.pause();
        const err = new UnavailableError(`rank ${from} stalled in the middle of a message`, {
          context: { peerRank: String(from) },
        });
        this.kill(from, err);
      },
    });
  }

  private attachOut(to: number, socket: net.Socket): void {
    this.peers[to]!.out = socket;
    this.watch(to, socket);
    if (this.aborted) socket.write(controlFrame(CollectiveFrame.ABORT, Buffer.from(this.aborted.message, 'utf8')));
    this.notifyConnected();
  }

  private checkRank(r: number, field: string): void {
    if (!Number.isInteger(r) || r < 0 || r >= this.size) {
      throw new InvalidArgumentError(`${field} must be a rank in [0, ${this.size}), got ${r}`, { context: { field } });
    }
  }

  async send(to: number, tag: string, data: FloatArray): Promise<void> {
    this.checkRank(to, 'to');
    if (this.aborted) throw this.aborted;
    if (this.closed) throw new UnavailableError(`rank ${this.rank}: transport closed`);
    const dead = this.mailbox.dead(to);
    if (dead) throw dead;
    if (to === this.rank) {
      this.mailbox.deliver(to, tag, data.slice());
      return;
    }
    const peer = this.peers[to]!;
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
    const head = dataHeader(data instanceof Float64Array ? DTYPE_F64 : DTYPE_F32, tagBytes.length, data.byteLength);
    const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const unavailable = (err: unknown) =>
      this.mailbox.dead(to) ??
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
    const dead = this.mailbox.dead(from);
    if (dead) return dead;
    if (this.closed) return new UnavailableError(`rank ${this.rank}: transport closed`);
    return undefined;
  }

  /** The next message from `from` with `tag`; the timeout counts as mailbox.ts says. */
  recv(from: number, tag: string, timeoutMs: number): Promise<FloatArray> {
    const no = this.refusal(from);
    return no ? Promise.reject(no) : this.mailbox.recv(from, tag, timeoutMs);
  }

  /** As recv, but into `dest`: a payload that arrives after this call is read straight into it. */
  async recvInto(from: number, tag: string, dest: FloatArray, timeoutMs: number): Promise<void> {
    const no = this.refusal(from);
    if (no) throw no;
    await this.mailbox.recvInto(from, tag, dest, timeoutMs);
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
    for (let r = 0; r < this.size; r++) this.kill(r, err);
  }

  /** Drops every connection at once and stops listening; pending recvs reject. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new UnavailableError(`rank ${this.rank}: transport closed`, {
      context: { peerRank: String(this.rank) },
    });
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    this.host.refusals.close();
    for (let r = 0; r < this.size; r++) {
      const p = this.peers[r]!;
      p.in?.destroy();
      p.out?.destroy();
      this.kill(r, err);
    }
    this.notifyConnected();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
