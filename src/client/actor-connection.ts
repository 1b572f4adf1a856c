import * as grpc from '@grpc/grpc-js';
import { TroupeError, UnavailableError, errorFromInfo, type ErrorInfo } from '../common/errors.js';
import { decode } from '../transport/codec.js';
import { DEFAULT_MAX_MESSAGE_BYTES, fromServiceError, makeClient } from '../transport/grpc.js';
import { services } from '../transport/protos.js';
import { messageTooLarge, splitBySize, tooLarge } from '../transport/wire-size.js';

interface Pending {
  actorId: string;
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface WireResult {
  seq: number;
  value?: Buffer;
  error?: ErrorInfo;
  outcome?: 'value' | 'error';
}

/**
 * A call was on a stream that broke (the actor's process died, or the network failed): it may or
 * may not have run. The caller's route asks the head what happened and retries or explains.
 */
export class StreamBrokenError extends UnavailableError {
  constructor(
    readonly streamError: TroupeError,
    readonly actorId: string,
    readonly method: string,
    /** False when the stream never reached the process (connection refused): the call surely did not run. */
    readonly maybeDelivered: boolean,
  ) {
    super(streamError.message, { cause: streamError, context: { actorId, method } });
  }
}

/**
 * The caller's side of one actor host process: one client and one long-lived bidi stream, on
 * which calls go out in the order made (batched per tick) and results come back by sequence number.
 */
export class ActorConnection {
  private readonly client: grpc.Client;
  private stream: grpc.ClientDuplexStream<unknown, unknown> | undefined;
  private readonly pending = new Map<number, Pending>();
  private outgoing: { seq: number; actorId: string; method: string; args: Buffer }[] = [];
  private outgoingSizes: number[] = [];
  private readonly maxBytes: number;
  private flushScheduled = false;
  private seq = 0;
  private closed = false;

  constructor(
    readonly address: string,
    token: string,
    maxMessageBytes: number | undefined,
  ) {
    this.client = makeClient(services.ActorService, address, token, maxMessageBytes);
    this.maxBytes = maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  call(actorId: string, method: string, args: Buffer): Promise<unknown> {
    // Seq, ids and framing of one Call, generously; a low estimate would break the whole stream.
    const size = args.length + Buffer.byteLength(actorId) + Buffer.byteLength(method) + 64;
    if (tooLarge(size, this.maxBytes)) {
      return Promise.reject(messageTooLarge(`the arguments of ${method}`, size, this.maxBytes, { actorId, method }));
    }
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.pending.set(seq, { actorId, method, resolve, reject });
      this.outgoing.push({ seq, actorId, method, args });
      this.outgoingSizes.push(size);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  close(): void {
    this.closed = true;
    this.stream?.end();
    this.stream = undefined;
    this.client.close();
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.outgoing.length === 0) return;
    const calls = this.outgoing;
    const sizes = this.outgoingSizes;
    this.outgoing = [];
    this.outgoingSizes = [];
    const stream = this.ensureStream();
    for (const batch of splitBySize(calls, sizes, this.maxBytes)) stream.write({ calls: batch });
  }

  private ensureStream(): grpc.ClientDuplexStream<unknown, unknown> {
    if (this.stream) return this.stream;
    const stream = (this.client as unknown as { Calls: () => grpc.ClientDuplexStream<unknown, unknown> }).Calls();
    this.stream = stream;
    // Calls sent on this stream; if it breaks, exactly these fail.
    const mine = new Set<number>();
    const origWrite = stream.write.bind(stream);
    (stream as { write: (chunk: { calls: { seq: number }[] }) => boolean }).write = (chunk) => {
      for (const c of chunk.calls) mine.add(c.seq);
      return origWrite(chunk);
    };
    let connected = false;
    stream.on('metadata', () => {
      connected = true;
    });
    stream.on('data', (batch: { results: WireResult[] }) => {
      connected = true;
      for (const r of batch.results) {
        const p = this.pending.get(r.seq);
        if (!p) continue;
        this.pending.delete(r.seq);
        mine.delete(r.seq);
        if (r.error) {
          p.reject(errorFromInfo(r.error));
          continue;
        }
        try {
          p.resolve(decode(r.value ?? Buffer.alloc(0), `the result of ${p.method}`));
        } catch (err) {
          p.reject(err);
        }
      }
    });
    const broken = (err: grpc.ServiceError | undefined): void => {
      if (this.stream === stream) this.stream = undefined;
      if (mine.size === 0) return;
      const streamError = err
        ? fromServiceError(err, 'actor', this.address)
        : fromServiceError({ code: grpc.status.UNAVAILABLE, details: 'stream ended', metadata: new grpc.Metadata() } as grpc.ServiceError, 'actor', this.address);
      // grpc-js says so when it never connected: nothing on this stream reached the actor.
      const maybeDelivered = connected || !/No connection established|ECONNREFUSED/.test(err?.details ?? '');
      for (const seq of mine) {
        const p = this.pending.get(seq);
        if (!p) continue;
        this.pending.delete(seq);
        // A refused token or message is not a death: say so at once.
        if (this.closed || streamError.code === 'UNAUTHENTICATED' || streamError.code === 'MESSAGE_TOO_LARGE') {
          p.reject(streamError);
          continue;
        }
        p.reject(new StreamBrokenError(streamError, p.actorId, p.method, maybeDelivered));
      }
      mine.clear();
    };
    stream.on('error', (err: grpc.ServiceError) => broken(err));
    stream.on('end', () => broken(undefined));
    return stream;
  }
}

