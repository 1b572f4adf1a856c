import { InvalidArgumentError } from '../common/index.js';

/** The element types collectives move. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Point-to-point messaging between the ranks of one collective group. Messages are matched by
 * (from, to, tag) and delivered FIFO per key. After `send` resolves the caller may reuse `data`.
 * Both transports (TCP, in memory) keep their messages in one Mailbox (mailbox.ts), which states
 * when a recv's timeout starts counting.
 */
export interface PeerTransport {
  readonly rank: number;
  readonly size: number;
  send(to: number, tag: string, data: FloatArray): Promise<void>;
  /**
   * Rejects with TimeoutError naming `from` when nothing arrives within `timeoutMs`, counted from
   * when this recv is the oldest one waiting for (from, tag) (see mailbox.ts).
   */
  recv(from: number, tag: string, timeoutMs: number): Promise<FloatArray>;
  /**
   * As `recv`, but the values land in `dest`, which must match the message's length and element
   * type (otherwise it rejects with an InvalidArgumentError naming `from`). A transport may write
   * straight into `dest` as bytes arrive, so the caller leaves `dest` alone until it settles.
   * Optional: collectives fall back to `recv` and a copy.
   */
  recvInto?(from: number, tag: string, dest: FloatArray, timeoutMs: number): Promise<void>;
  /**
   * This rank gives up on the group: every pending and future recv from it, on every peer,
   * rejects with an UnavailableError carrying `reason`. Collectives call it when they fail so that
   * ranks not adjacent to a failure learn of it at once instead of timing out. Optional: without
   * it, those ranks fall back to their recv timeout.
   */
  abort?(reason: Error): void;
}

/** 'Float32Array' or 'Float64Array', as error messages name them. */
export const kindOf = (x: FloatArray): string => (x instanceof Float64Array ? 'Float64Array' : 'Float32Array');

/** The error for a message whose length or element type is not what the receiver expected. */
export function shapeError(
  from: number,
  tag: string,
  got: { kind: string; length: number },
  want: FloatArray,
): InvalidArgumentError {
  return new InvalidArgumentError(
    `rank ${from} sent a ${got.kind} of ${got.length} (tag ${tag}), expected a ${kindOf(want)} of ${want.length}; ` +
      'every rank must pass the same length and element type',
    { context: { peerRank: String(from) } },
  );
}

/** Copies a received message into `dest`, or throws shapeError when they do not match. */
export function copyInto(from: number, tag: string, got: FloatArray, dest: FloatArray): void {
  if (got.length !== dest.length || kindOf(got) !== kindOf(dest)) {
    throw shapeError(from, tag, { kind: kindOf(got), length: got.length }, dest);
  }
  dest.set(got);
}
