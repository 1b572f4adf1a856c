import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { InvalidArgumentError, RefusalLog, logger, type Logger } from '../../common/index.js';
import { Admission, dataPlaneLimits, type DataPlaneLimits, type Pending } from './admission.js';
import { Connection, type ConnectionHooks } from './connection.js';
import { DEFAULT_CHUNK_BYTES, MAX_HELLO_BYTES, type CountKind } from './frames.js';

export interface DataPlaneServerOptions {
  /** The cluster token; a connection whose HELLO carries another is refused. At most 1024 bytes of utf-8. */
  token: string;
  /** Interface to listen on. Default '127.0.0.1'. */
  host?: string;
  /** Port to listen on. Default 0 (any free port). */
  port?: number;
  /**
   * Returns the bytes of an object held by this process, or undefined when it holds none. A list of
   * parts is sent as one object, the parts back to back, without concatenating them in memory.
   */
  provider: (objectId: string) => Uint8Array | readonly Uint8Array[] | undefined;
  /**
   * Called once the last byte of a transfer of `objectId` was handed to the socket (after its
   * DATA_END), not for transfers cancelled or cut off before that. Lets pull-once objects be freed.
   * Default: nothing.
   */
  onServed?: (objectId: string) => void;
  /**
   * For an object the provider does not hold: why, when it went with its owner (the pull is then
   * answered OWNER_DIED with this message instead of NOT_FOUND). Default: never.
   */
  ownerDied?: (objectId: string) => string | undefined;
  /** BORROW, RELEASE and FREE from authenticated peers, ids decoded (see frames.ts). Default: ignored. */
  counts?: (kind: CountKind, ids: string[]) => void;
  log?: Logger;
  /** Bytes per DATA frame, so that concurrent pulls on one connection interleave. Default 1 MiB. */
  chunkBytes?: number;
  /** Deadlines and caps for peers (see admission.ts); each defaults separately. */
  limits?: Partial<DataPlaneLimits>;
  /** How often refused peers are summed up in the log. Default: the process's (configureLogging). */
  refusalLogIntervalMs?: number;
}

export interface DataPlaneServerStats {
  connections: number;
  /** Connections open that have not authenticated yet. */
  unauthenticated: number;
  /** The most connections that had not authenticated yet, at any one time. */
  peakUnauthenticated: number;
  /** Connections closed because of the caps on unauthenticated ones (refused, or dropped to make room). */
  turnedAway: number;
  /** The most bytes ever queued in one socket's userland write buffer (backpressure check). */
  peakQueuedBytes: number;
}

type OptionalHook = 'onServed' | 'ownerDied' | 'counts' | 'refusalLogIntervalMs';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Serves object pulls over framed TCP (see frames.ts); never buffers a whole object in a socket. */
export class DataPlaneServer {
  private readonly conns = new Set<Connection>();
  private readonly tokenDigest: Buffer;
  private readonly admission: Admission;
  private readonly refusals: RefusalLog;
  private peakQueued = 0;
  private turnedAway = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly opts: Required<Omit<DataPlaneServerOptions, 'log' | OptionalHook>> &
      Pick<DataPlaneServerOptions, OptionalHook> & { log: Logger; limits: DataPlaneLimits },
  ) {
    this.tokenDigest = digest(opts.token);
    this.admission = new Admission(opts.limits);
    this.refusals = new RefusalLog(opts.log, 'data-plane connection refused', {
      what: 'connections',
      ...(opts.refusalLogIntervalMs === undefined ? {} : { intervalMs: opts.refusalLogIntervalMs }),
    });
    server.on('connection', (socket) => this.accept(socket));
    // An accept that fails (out of file descriptors) must not take the process down.
    server.on('error', (err) => opts.log.error({ err: err.message }, 'data-plane server error'));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: DataPlaneServerOptions): Promise<DataPlaneServer> {
    checkToken(options.token);
    const opts = {
      host: '127.0.0.1',
      port: 0,
      chunkBytes: DEFAULT_CHUNK_BYTES,
      ...options,
      limits: dataPlaneLimits(options.limits),
      log: options.log ?? logger('data-plane'),
    };
    const server = net.createServer({ noDelay: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new DataPlaneServer(server, opts);
  }

  /** 'host:port' as bound. */
  get address(): string {
    const a = this.server.address() as net.AddressInfo;
    return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
  }

  stats(): DataPlaneServerStats {
    return {
      connections: this.conns.size,
      unauthenticated: this.admission.pending,
      peakUnauthenticated: this.admission.peakPending,
      turnedAway: this.turnedAway,
      peakQueuedBytes: this.peakQueued,
    };
  }

  /** Stops listening and drops every connection (pulls in flight fail on the client side). */
  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    this.refusals.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private accept(socket: net.Socket): void {
    const address = socket.remoteAddress ?? 'unknown';
    const peer = `${address}:${socket.remotePort}`;
    const drop = (reason: string) => {
      // Closed at once: nothing more is read or written for it.
      this.turnedAway++;
      this.refusals.refused(peer, reason);
      socket.destroy();
    };
    const pending: Pending = { evict: drop };
    const over = this.admission.admit(address, pending);
    if (over !== undefined) {
      drop(over);
      return;
    }
    const leave = () => this.admission.release(address, pending);
    socket.setNoDelay(true);
    const hooks: ConnectionHooks = {
      checkToken: (presented) => timingSafeEqual(createHash('sha256').update(presented).digest(), this.tokenDigest),
      noteQueued: (bytes) => {
        if (bytes > this.peakQueued) this.peakQueued = bytes;
      },
      authenticated: leave,
      refused: (peer, reason) => this.refusals.refused(peer, reason),
    };
    const conn = new Connection(hooks, socket, { ...this.opts, ...this.opts.limits });
    this.conns.add(conn);
    socket.once('close', () => {
      this.conns.delete(conn);
      leave();
    });
  }
}

/** The token must fit in a HELLO (MAX_HELLO_BYTES); both ends check, so the mistake shows at start. */
export function checkToken(token: string): void {
  const bytes = Buffer.byteLength(token, 'utf8');
  if (bytes > MAX_HELLO_BYTES) {
    throw new InvalidArgumentError(
      `the cluster token is ${bytes} bytes of utf-8; the data plane accepts at most ${MAX_HELLO_BYTES}`,
      { context: { field: 'token' } },
    );
  }
}
