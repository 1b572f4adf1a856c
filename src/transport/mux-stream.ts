import * as grpc from '@grpc/grpc-js';
import { TroupeError, errorFromInfo, errorToInfo, type ErrorInfo } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { DEFAULT_MAX_MESSAGE_BYTES, fromServiceError, type Peer } from './grpc.js';
import { approxWireBytes, messageTooLarge, splitBySize, tooLarge } from './wire-size.js';

/**
 * Request/reply over one long-lived bidi stream: `{ items: [{ id, request }] }` out,
 * `{ outcomes: [{ id, reply | error }] }` back, batched per tick, answered in any order. A unary
 * RPC costs a new HTTP/2 stream each (~7k/s at best on two cores); this carries tens of thousands.
 * The shapes below are what every generated `XxxBatch` / `XxxOutcomeBatch` pair has in common.
 */
interface Item<Req> {
  id: number;
  request: Req;
}
interface Outcome<Rep> {
  id: number;
  reply?: Rep | null;
  error?: ErrorInfo | null;
}
/** A mux stream as the client sees it (`client.CreateActors()` and the like). */
export type MuxDuplex<Req, Rep> = grpc.ClientDuplexStream<{ items: Item<Req>[] }, { outcomes: Outcome<Rep>[] }>;

export class MuxClient<Req, Rep> {
  private stream: MuxDuplex<Req, Rep> | undefined;
  private readonly pending = new Map<number, { resolve: (r: Rep) => void; reject: (e: unknown) => void }>();
  private outgoing: Item<Req>[] = [];
  private outgoingSizes: number[] = [];
  private scheduled = false;
  private nextId = 0;

  constructor(
    /** Opens the stream: `() => client.CreateActors()`. */
    private readonly openStream: () => MuxDuplex<Req, Rep>,
    /** The RPC's name, for messages. */
    private readonly method: string,
    private readonly peer: Peer,
    private readonly address: string,
    private readonly maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
  ) {}

  /** `what` names the request in the error when it is too large to send. */
  request(request: Req, what = `the ${this.method} request`): Promise<Rep> {
    const size = approxWireBytes(request) + 32;
    if (tooLarge(size, this.maxMessageBytes)) return Promise.reject(messageTooLarge(what, size, this.maxMessageBytes));
    return new Promise((resolve, reject) => {
      const id = ++this.nextId;
      this.pending.set(id, { resolve, reject });
      this.outgoing.push({ id, request });
      this.outgoingSizes.push(size);
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  close(): void {
    this.stream?.end();
    this.stream = undefined;
  }

  private flush(): void {
    this.scheduled = false;
    const items = this.outgoing;
    const sizes = this.outgoingSizes;
    this.outgoing = [];
    this.outgoingSizes = [];
    if (items.length === 0) return;
    // A message over the limit would end the stream and fail every request on it: split.
    const stream = this.open();
    for (const batch of splitBySize(items, sizes, this.maxMessageBytes)) stream.write({ items: batch });
  }

  private open(): MuxDuplex<Req, Rep> {
    if (this.stream) return this.stream;
    const stream = this.openStream();
    this.stream = stream;
    const mine = new Set<number>();
    const write = stream.write.bind(stream);
    (stream as { write: (chunk: { items: Item<Req>[] }) => boolean }).write = (chunk) => {
      for (const it of chunk.items) mine.add(it.id);
      return write(chunk);
    };
    stream.on('data', (batch: { outcomes: Outcome<Rep>[] }) => {
      for (const o of batch.outcomes) {
        const p = this.pending.get(o.id);
        if (!p) continue;
        this.pending.delete(o.id);
        mine.delete(o.id);
        if (o.error) p.reject(errorFromInfo(o.error));
        else p.resolve(o.reply as Rep);
      }
    });
    const broken = (err?: grpc.ServiceError): void => {
      if (this.stream === stream) this.stream = undefined;
      const e: TroupeError = fromServiceError(
        err ??
          ({
            code: grpc.status.UNAVAILABLE,
            details: `${this.method} stream ended`,
            metadata: new grpc.Metadata(),
          } as grpc.ServiceError),
        this.peer,
        this.address,
      );
      for (const id of mine) {
        this.pending.get(id)?.reject(e);
        this.pending.delete(id);
      }
      mine.clear();
    };
    stream.on('error', (err: grpc.ServiceError) => broken(err));
    stream.on('end', () => broken());
    return stream;
  }
}

/** Serves a MuxClient stream with a per-request async handler; `cancelled` fires when the caller goes. */
export function muxHandler<Req, Rep>(
  log: Logger,
  method: string,
  handler: (request: Req, onCancel: (cb: () => void) => void) => Promise<Rep>,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): grpc.handleBidiStreamingCall<{ items: Item<Req>[] }, { outcomes: Outcome<Rep>[] }> {
  return (call) => {
    let open = true;
    const cancels = new Set<() => void>();
    let pending: Outcome<Rep>[] = [];
    let sizes: number[] = [];
    let scheduled = false;
    const send = (o: Outcome<Rep>): void => {
      if (!open) return;
      let size = approxWireBytes(o) + 32;
      if (tooLarge(size, maxMessageBytes)) {
        o = { id: o.id, error: errorToInfo(messageTooLarge(`the reply to ${method}`, size, maxMessageBytes)) };
        size = approxWireBytes(o) + 32;
      }
      pending.push(o);
      sizes.push(size);
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(() => {
          scheduled = false;
          const outcomes = pending;
          const outcomeSizes = sizes;
          pending = [];
          sizes = [];
          if (!open) return;
          for (const batch of splitBySize(outcomes, outcomeSizes, maxMessageBytes)) call.write({ outcomes: batch });
        });
      }
    };
    call.on('data', (batch: { items: Item<Req>[] }) => {
      for (const { id, request } of batch.items) {
        let result: Promise<Rep>;
        let onCancel: (() => void) | undefined;
        try {
          result = handler(request, (cb) => {
            onCancel = cb;
            cancels.add(cb);
          });
        } catch (err) {
          result = Promise.reject(err);
        }
        result.then(
          (reply) => {
            if (onCancel) cancels.delete(onCancel);
            send({ id, reply });
          },
          (err: unknown) => {
            if (onCancel) cancels.delete(onCancel);
            if (!(err instanceof TroupeError)) log.error({ err, method }, 'handler failed unexpectedly');
            send({ id, error: errorToInfo(err) });
          },
        );
      }
    });
    const close = (): void => {
      if (!open) return;
      open = false;
      for (const cb of cancels) cb();
    };
    call.on('end', () => {
      call.end();
      close();
    });
    call.on('error', close);
    call.on('cancelled', close);
  };
}
