import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { logger, type Logger } from '../../common/index.js';
import { FrameParser, type FrameHeader } from '../framing/index.js';
import {
  DATA_PLANE,
  DEFAULT_CHUNK_BYTES,
  FrameError,
  FrameType,
  MAX_OBJECT_ID_BYTES,
  WireErrorCode,
  encodeError,
  encodeFrame,
  encodeHeader,
  encodeLength,
  frameRules,
  frameTypeName,
} from './frames.js';

export interface DataPlaneServerOptions {
  /** The cluster token; a connection whose HELLO carries another is refused. */
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
  log?: Logger;
  /** Bytes per DATA frame, so that concurrent pulls on one connection interleave. Default 1 MiB. */
  chunkBytes?: number;
}

export interface DataPlaneServerStats {
  connections: number;
  /** The most bytes ever queued in one socket's userland write buffer (backpressure check). */
  peakQueuedBytes: number;
}

const SERVER_RULES = frameRules([FrameType.HELLO, FrameType.PULL, FrameType.CANCEL]);
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Serves object pulls over framed TCP (see frames.ts); never buffers a whole object in a socket. */
export class DataPlaneServer {
  private readonly conns = new Set<Connection>();
  private readonly tokenDigest: Buffer;
  private peakQueued = 0;

  private constructor(
    private readonly server: net.Server,
    private readonly opts: Required<Omit<DataPlaneServerOptions, 'log' | 'onServed'>> &
      Pick<DataPlaneServerOptions, 'onServed'> & { log: Logger },
  ) {
    this.tokenDigest = digest(opts.token);
    server.on('connection', (socket) => this.accept(socket));
  }

  /** Starts listening; resolves once the port is bound. */
  static async start(options: DataPlaneServerOptions): Promise<DataPlaneServer> {
    const opts = {
      host: '127.0.0.1',
      port: 0,
      chunkBytes: DEFAULT_CHUNK_BYTES,
      ...options,
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
    return { connections: this.conns.size, peakQueuedBytes: this.peakQueued };
  }

  /** Stops listening and drops every connection (pulls in flight fail on the client side). */
  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const hooks: ConnectionHooks = {
      checkToken: (presented) => timingSafeEqual(createHash('sha256').update(presented).digest(), this.tokenDigest),
      noteQueued: (bytes) => {
        if (bytes > this.peakQueued) this.peakQueued = bytes;
      },
    };
    const conn = new Connection(hooks, socket, this.opts);
    this.conns.add(conn);
    socket.once('close', () => this.conns.delete(conn));
  }
}

interface ConnectionHooks {
  /** Constant-time comparison of SHA-256 digests, so timing tells nothing about the token. */
  checkToken(presented: Buffer): boolean;
  noteQueued(bytes: number): void;
}

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

class Connection {
  private authed = false;
  private closing = false;
  private waitingDrain = false;
  private readonly transfers = new Map<number, Transfer>();
  private queue: Transfer[] = [];
  private readonly parser: FrameParser;
  private readonly peer: string;

  constructor(
    private readonly owner: ConnectionHooks,
    readonly socket: net.Socket,
    private readonly opts: Pick<DataPlaneServerOptions, 'provider' | 'onServed'> & { log: Logger; chunkBytes: number },
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const noData = () => null;
    const control = (h: FrameHeader, p: Buffer) => this.onControl(h, p);
    this.parser = new FrameParser(DATA_PLANE, SERVER_RULES, { control, begin: noData, end: noData });
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
      const where = this.closing ? undefined : this.parser.midFrame();
      if (where !== undefined) {
        this.opts.log.warn({ peer: this.peer, reason: `closed ${where}` }, 'data-plane connection cut');
      }
      this.transfers.clear();
      this.queue = [];
    });
  }

  private onControl(h: FrameHeader, payload: Buffer): void {
    if (this.closing) return;
    if (!this.authed) {
      if (h.type !== FrameType.HELLO) {
        this.refuse(WireErrorCode.UNAUTHENTICATED, `first frame must be HELLO, got ${frameTypeName(h.type)}`);
      } else if (!this.owner.checkToken(payload)) {
        this.refuse(WireErrorCode.UNAUTHENTICATED, 'wrong cluster token');
      } else {
        this.authed = true;
        this.socket.write(encodeFrame(FrameType.HELLO_OK, 0));
      }
      return;
    }
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
      default:
        this.refuse(WireErrorCode.BAD_REQUEST, `unexpected frame type ${frameTypeName(h.type)}`);
    }
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
      this.socket.write(
        encodeFrame(FrameType.ERROR, id, encodeError(WireErrorCode.NOT_FOUND, `object ${objectId} not found`)),
      );
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
    this.transfers.clear();
    this.queue = [];
    const level = code === WireErrorCode.UNAUTHENTICATED ? 'refused' : 'closed';
    this.opts.log.warn({ peer: this.peer, reason: message }, `data-plane connection ${level}`);
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
