import { InvalidArgumentError, TimeoutError, UnavailableError } from '../common/errors.js';

/** The element types collectives move. */
export type Tensor = Float32Array | Float64Array;

/**
 * Point-to-point messaging between the ranks of one collective group. Messages are matched by
 * (from, to, tag) and delivered FIFO per key. After `send` resolves the caller may reuse `data`.
 */
export interface PeerTransport {
  readonly rank: number;
  readonly size: number;
  send(to: number, tag: string, data: Tensor): Promise<void>;
  /** Rejects with TimeoutError naming `from` when nothing arrives within `timeoutMs`. */
  recv(from: number, tag: string, timeoutMs: number): Promise<Tensor>;
  /**
   * As `recv`, but the values land in `dest`, which must match the message's length and element
   * type (otherwise it rejects with an InvalidArgumentError naming `from`). A transport may write
   * straight into `dest` as bytes arrive, so the caller leaves `dest` alone until it settles.
   * Optional: collectives fall back to `recv` and a copy.
   */
  recvInto?(from: number, tag: string, dest: Tensor, timeoutMs: number): Promise<void>;
  /**
   * This rank gives up on the group: every pending and future recv from it, on every peer,
   * rejects with an UnavailableError carrying `reason`. Collectives call it when they fail so that
   * ranks not adjacent to a failure learn of it at once instead of timing out. Optional: without
   * it, those ranks fall back to their recv timeout.
   */
  abort?(reason: Error): void;
}

const kindOf = (x: Tensor): string => (x instanceof Float64Array ? 'Float64Array' : 'Float32Array');

/** The error for a message whose length or element type is not what the receiver expected. */
export function shapeError(from: number, tag: string, got: { kind: string; length: number }, want: Tensor): InvalidArgumentError {
  return new InvalidArgumentError(
    `rank ${from} sent a ${got.kind} of ${got.length} (tag ${tag}), expected a ${kindOf(want)} of ${want.length}; ` +
      'every rank must pass the same length and element type',
    { context: { peerRank: String(from) } },
  );
}

/** Copies a received message into `dest`, or throws shapeError when they do not match. */
export function copyInto(from: number, tag: string, got: Tensor, dest: Tensor): void {
  if (got.length !== dest.length || kindOf(got) !== kindOf(dest)) {
    throw shapeError(from, tag, { kind: kindOf(got), length: got.length }, dest);
  }
  dest.set(got);
}

/** An in-process group: one transport per rank, plus fault injection for tests. */
export interface MemoryGroup {
  readonly transports: readonly PeerTransport[];
  /** Rank `rank` dies: every pending and future recv from it (and by it) rejects. */
  fail(rank: number, reason: string): void;
}

interface Waiter {
  from: number;
  to: number;
  resolve(data: Tensor): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const key = (from: number, to: number, tag: string): string => `${from}>${to}|${tag}`;

export function memoryGroup(size: number): MemoryGroup {
  if (!Number.isInteger(size) || size < 1) {
    throw new InvalidArgumentError(`size must be an integer ≥ 1, got ${size}`, { context: { field: 'size' } });
  }
  const queues = new Map<string, Tensor[]>();
  const waiters = new Map<string, Waiter[]>();
  // Why each dead rank is dead; a message that already names the rank.
  const dead = new Map<number, { message: string; cause: unknown }>();

  const checkRank = (r: number, field: string): void => {
    if (!Number.isInteger(r) || r < 0 || r >= size) {
      throw new InvalidArgumentError(`${field} must be a rank in [0, ${size}), got ${r}`, { context: { field } });
    }
  };
  const deadError = (r: number): UnavailableError => {
    const d = dead.get(r)!;
    return new UnavailableError(d.message, { cause: d.cause, context: { peerRank: String(r) } });
  };

  const kill = (r: number, message: string, cause: unknown): void => {
    if (dead.has(r)) return;
    dead.set(r, { message, cause });
    for (const [k, list] of waiters) {
      const keep = list.filter((w) => {
        if (w.from !== r && w.to !== r) return true;
        if (w.timer) clearTimeout(w.timer);
        w.reject(deadError(r));
        return false;
      });
      if (keep.length === 0) waiters.delete(k);
      else waiters.set(k, keep);
    }
  };

  const transport = (rank: number): PeerTransport => ({
    rank,
    size,
    async send(to, tag, data) {
      checkRank(to, 'to');
      if (dead.has(rank)) throw deadError(rank);
      if (dead.has(to)) throw deadError(to);
      const k = key(rank, to, tag);
      // Copy: a real wire copies too, and the caller may reuse `data` once send resolves.
      const copy = data.slice();
      const list = waiters.get(k);
      const w = list?.shift();
      if (list && list.length === 0) waiters.delete(k);
      if (w) {
        if (w.timer) clearTimeout(w.timer);
        w.resolve(copy);
        return;
      }
      const q = queues.get(k);
      if (q) q.push(copy);
      else queues.set(k, [copy]);
    },
    recv(from, tag, timeoutMs) {
      checkRank(from, 'from');
      if (dead.has(from)) return Promise.reject(deadError(from));
      if (dead.has(rank)) return Promise.reject(deadError(rank));
      const k = key(from, rank, tag);
      const q = queues.get(k);
      const data = q?.shift();
      if (q && q.length === 0) queues.delete(k);
      if (data) return Promise.resolve(data);
      return new Promise<Tensor>((resolve, reject) => {
        const w: Waiter = { from, to: rank, resolve, reject, timer: undefined };
        if (Number.isFinite(timeoutMs)) {
          w.timer = setTimeout(() => {
            const list = waiters.get(k);
            const i = list ? list.indexOf(w) : -1;
            if (list && i >= 0) list.splice(i, 1);
            if (list && list.length === 0) waiters.delete(k);
            reject(
              new TimeoutError(`rank ${from} did not send within ${timeoutMs} ms (tag ${tag})`, {
                context: { peerRank: String(from) },
              }),
            );
          }, timeoutMs);
        }
        const list = waiters.get(k);
        if (list) list.push(w);
        else waiters.set(k, [w]);
      });
    },
    async recvInto(from, tag, dest, timeoutMs) {
      copyInto(from, tag, await this.recv(from, tag, timeoutMs), dest);
    },
    abort(reason) {
      kill(rank, `rank ${rank} gave up: ${reason.message}`, reason);
    },
  });

  const transports = Array.from({ length: size }, (_, r) => transport(r));
  return {
    transports,
    fail(rank, reason) {
      checkRank(rank, 'rank');
      kill(rank, `rank ${rank} failed: ${reason}`, undefined);
    },
  };
}
