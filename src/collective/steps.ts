import { InvalidArgumentError, TimeoutError, UnavailableError } from '../common/errors.js';
import type { PeerTransport, Tensor } from './transport.js';

/** Options every collective takes. */
export interface CollectiveOptions {
  /** How long to wait for each message from a peer before failing. Default 30000 ms. */
  timeoutMs?: number;
  /**
   * Prefix for message tags. Default: the collective's name. Give distinct tags to collectives
   * that run concurrently on the same transport; sequential calls need none (matching is FIFO).
   */
  tag?: string;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

export interface Ctx {
  t: PeerTransport;
  name: string;
  tag: string;
  timeoutMs: number;
}

export function context(t: PeerTransport, name: string, opts: CollectiveOptions): Ctx {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) {
    throw new InvalidArgumentError(`timeoutMs must be > 0, got ${timeoutMs}`, { context: { field: 'timeoutMs' } });
  }
  return { t, name, tag: opts.tag ?? name, timeoutMs };
}

export const mod = (a: number, n: number): number => ((a % n) + n) % n;

/** Prefixes a peer error with the operation and step, keeping its class so callers can branch. */
export function annotate(what: string, err: unknown): unknown {
  if (err instanceof TimeoutError) return new TimeoutError(`${what}: ${err.message}`, { cause: err, context: err.context });
  if (err instanceof UnavailableError) {
    return new UnavailableError(`${what}: ${err.message}`, { cause: err, context: err.context });
  }
  return err;
}

/**
 * Runs one collective. On failure it aborts this rank on the transport so that peers waiting on
 * it fail now, naming the original cause, instead of each timing out in turn around the ring.
 */
export async function run<T>(t: PeerTransport, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    t.abort?.(err instanceof Error ? err : new Error(String(err)));
    throw err;
  }
}

export function alloc(f64: boolean, length: number): Tensor {
  return f64 ? new Float64Array(length) : new Float32Array(length);
}

const kindOf = (x: Tensor): string => (x instanceof Float64Array ? 'Float64Array' : 'Float32Array');

/** Peers that disagree on length or element type are a caller bug: say so rather than corrupt data. */
export function checkShape(what: string, from: number, got: Tensor, length: number, like: Tensor): void {
  if (got.length !== length || kindOf(got) !== kindOf(like)) {
    throw new InvalidArgumentError(
      `${what}: rank ${from} sent a ${kindOf(got)} of ${got.length}, expected a ${kindOf(like)} of ${length}; ` +
        'every rank must pass the same length and element type',
      { context: { peerRank: String(from) } },
    );
  }
}

/** One ring step: send `out` to the next rank while receiving `length` values from the previous. */
export async function ringStep(c: Ctx, step: number, out: Tensor, length: number, like: Tensor): Promise<Tensor> {
  const { t } = c;
  const next = mod(t.rank + 1, t.size);
  const prev = mod(t.rank - 1, t.size);
  const what = `${c.name} step ${step}`;
  const tag = `${c.tag}:${step}`;
  try {
    // Concurrently: a transport whose send waits for the reader would deadlock a ring otherwise.
    const [, got] = await Promise.all([t.send(next, tag, out), t.recv(prev, tag, c.timeoutMs)]);
    checkShape(what, prev, got, length, like);
    return got;
  } catch (err) {
    throw annotate(what, err);
  }
}
