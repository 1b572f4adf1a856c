import * as grpc from '@grpc/grpc-js';
import { type TroupeError, UnavailableError, errorFromInfo } from '../common/index.js';
import type { ActorHostServiceClient } from '../generated/troupe/v1/ActorHostService.js';
import type { Call } from '../generated/troupe/v1/Call.js';
import type { CallBatch } from '../generated/troupe/v1/CallBatch.js';
import type { ResultBatch__Output } from '../generated/troupe/v1/ResultBatch.js';
import type { ObjectLocation } from '../objects/index.js';
import { DEFAULT_MAX_MESSAGE_BYTES, fromServiceError, makeClient } from '../transport/index.js';
import { troupeV1 } from '../transport/index.js';
import { messageTooLarge, splitBySize, tooLarge } from '../transport/index.js';

interface Pending {
  actorId: string;
  method: string;
  resolve: (v: CallOutcome) => void;
  reject: (e: unknown) => void;
}

/** One call as it goes out: inline arguments, or the location of an object holding them; and whether to keep the result. */
export interface OutgoingCall {
  args: Buffer;
  argsObject?: ObjectLocation;
  storeAs?: string;
}

/** What came back: the encoded value, or where a large one waits to be pulled. */
export type CallOutcome = { value: Buffer } | { stored: ObjectLocation };

/** A queued call: the `troupe.v1.Call` message, its sequence number known. */
type QueuedCall = Call & { seq: number };

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
  private readonly client: ActorHostServiceClient;
  private stream: grpc.ClientDuplexStream<CallBatch, ResultBatch__Output> | undefined;
  private readonly pending = new Map<number, Pending>();
  private outgoing: QueuedCall[] = [];
  private freeing: string[] = [];
  private outgoingSizes: number[] = [];
  private readonly maxBytes: number;
  private flushScheduled = false;
  private seq = 0;
  private closed = false;

  constructor(
    readonly address: string,
    token: string,
    maxMessageBytes: number | undefined,
    /** Sent on each stream, so the host can drop this caller's objects when it goes away. */
    private readonly ownerId = '',
  ) {
    this.client = makeClient(troupeV1.ActorHostService, address, token, maxMessageBytes);
    this.maxBytes = maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  call(actorId: string, method: string, out: OutgoingCall): Promise<CallOutcome> {
    // Seq, ids and framing of one Call, generously; a low estimate would break the whole stream.
    const extra = (out.argsObject ? 96 + out.argsObject.objectId.length : 0) + (out.storeAs?.length ?? 0);
    const size = out.args.length + Buffer.byteLength(actorId) + Buffer.byteLength(method) + 64 + extra;
    if (tooLarge(size, this.maxBytes)) {
      return Promise.reject(messageTooLarge(`the arguments of ${method}`, size, this.maxBytes, { actorId, method }));
    }
    return new Promise((resolve, reject) => {
      const seq = ++this.seq;
      this.pending.set(seq, { actorId, method, resolve, reject });
      this.outgoing.push({ seq, actorId, method, ...out });
      this.outgoingSizes.push(size);
      this.scheduleFlush();
    });
  }

  /** Tells the host to drop objects this caller owns there (sent with the next batch). */
  free(ids: readonly string[]): void {
    if (this.closed || ids.length === 0) return;
    this.freeing.push(...ids);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
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
    if (this.closed || (this.outgoing.length === 0 && this.freeing.length === 0)) return;
    const calls = this.outgoing;
    const sizes = this.outgoingSizes;
    this.outgoing = [];
    this.outgoingSizes = [];
    const free = this.freeing;
    this.freeing = [];
    const stream = this.ensureStream();
    if (calls.length === 0) {
      stream.write({ calls: [], free });
      return;
    }
    let first = true;
    for (const batch of splitBySize(calls, sizes, this.maxBytes)) {
      stream.write(first ? { calls: batch, free } : { calls: batch });
      first = false;
    }
  }

  private ensureStream(): grpc.ClientDuplexStream<CallBatch, ResultBatch__Output> {
    if (this.stream) return this.stream;
    const stream = this.client.Calls();
    this.stream = stream;
    // Calls sent on this stream; if it breaks, exactly these fail.
    const mine = new Set<number>();
    const origWrite = stream.write.bind(stream);
    let named = false;
    (stream as { write: (chunk: { calls: QueuedCall[]; ownerId?: string }) => boolean }).write = (chunk) => {
      for (const c of chunk.calls) mine.add(c.seq);
      if (!named) {
        // The first batch of each stream says whose calls these are.
        named = true;
        chunk.ownerId = this.ownerId;
      }
      return origWrite(chunk);
    };
    let connected = false;
    stream.on('metadata', () => {
      connected = true;
    });
    stream.on('data', (batch: ResultBatch__Output) => {
      connected = true;
      for (const r of batch.results) {
        const p = this.pending.get(r.seq);
        if (!p) continue;
        this.pending.delete(r.seq);
        mine.delete(r.seq);
        if (r.error) p.reject(errorFromInfo(r.error));
        else if (r.stored) p.resolve({ stored: r.stored });
        else p.resolve({ value: r.value ?? Buffer.alloc(0) });
      }
    });
    const broken = (err: grpc.ServiceError | undefined): void => {
      if (this.stream === stream) this.stream = undefined;
      if (mine.size === 0) return;
      const streamError = err
        ? fromServiceError(err, 'actor', this.address)
        : fromServiceError(
            {
              code: grpc.status.UNAVAILABLE,
              details: 'stream ended',
              metadata: new grpc.Metadata(),
            } as grpc.ServiceError,
            'actor',
            this.address,
          );
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
