/**
 * The messages one rank has received and the recvs waiting for them, per sending rank and tag:
 * the one mailbox behind every PeerTransport (TCP and in memory), so that both keep one contract.
 *
 * Messages from one rank with one tag are delivered FIFO, each to the oldest recv waiting for it,
 * or queued until a recv asks.
 *
 * The timeout contract: a recv's timeout counts from the moment it becomes the oldest recv waiting
 * for its (from, tag) — at once when it is called with no earlier recv for that pair pending, else
 * when the message for the one before it starts arriving. A later message is not due before the
 * earlier ones on the same pair came, and ring steps post every chunk's recv of one tag up front:
 * each chunk gets the whole timeout, counted from its predecessor. A recv with an infinite timeout
 * never times out, and the recvs behind it start counting only once it is served.
 *
 * A message whose bytes land straight in a recvInto's destination (TCP) is `claim`ed when it starts
 * arriving; from then the claimed recv has a fresh timeout for the rest, and when that runs out
 * (the sender stalled mid-message) it rejects and the owner must stop reading into the destination.
 */
import { TimeoutError, type UnavailableError } from '../common/index.js';
import { copyInto, kindOf, shapeError, type FloatArray } from './transport.js';

interface Waiter {
  tag: string;
  /** recvInto's destination; undefined for a plain recv. */
  into: FloatArray | undefined;
  timeoutMs: number;
  resolve(data: FloatArray): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/** What one rank holds from one sending rank. */
interface Box {
  queues: Map<string, FloatArray[]>;
  /** Per tag, FIFO; only the first one's timer runs. */
  waiters: Map<string, Waiter[]>;
  /** The claimed recvInto whose destination a message is landing in now. */
  landing: Waiter | undefined;
  /** Set once the sender is gone; every recv from it rejects with this. */
  dead: UnavailableError | undefined;
}

export class Mailbox {
  private readonly boxes: Box[] = [];

  constructor(size: number) {
    for (let r = 0; r < size; r++)
      this.boxes.push({ queues: new Map(), waiters: new Map(), landing: undefined, dead: undefined });
  }

  /** Why messages from `from` can no longer come, once `fail` was called for it. */
  dead(from: number): UnavailableError | undefined {
    return this.boxes[from]!.dead;
  }

  /** A whole message from `from`: to the oldest recv waiting for its tag, or queued. */
  deliver(from: number, tag: string, data: FloatArray): void {
    const box = this.boxes[from]!;
    if (box.dead) return;
    const w = this.take(box, from, tag);
    if (!w) {
      const q = box.queues.get(tag);
      if (q) q.push(data);
      else box.queues.set(tag, [data]);
      return;
    }
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
  }

  /** The next message from `from` with `tag`; rejects with TimeoutError (see the contract above). */
  recv(from: number, tag: string, timeoutMs: number): Promise<FloatArray> {
    const box = this.boxes[from]!;
    if (box.dead) return Promise.reject(box.dead);
    const data = this.dequeue(box, tag);
    return data ? Promise.resolve(data) : this.wait(box, from, tag, undefined, timeoutMs);
  }

  /** As recv, into `dest` (which must match the message's length and element type). */
  async recvInto(from: number, tag: string, dest: FloatArray, timeoutMs: number): Promise<void> {
    const box = this.boxes[from]!;
    if (box.dead) throw box.dead;
    const data = this.dequeue(box, tag);
    if (data) copyInto(from, tag, data, dest);
    else await this.wait(box, from, tag, dest, timeoutMs);
  }

  /**
   * A message of `length` elements of `kind` from `from` with `tag` starts arriving. When the
   * oldest recv waiting for it is a recvInto, that recv is taken: the result is its destination's
   * bytes, for the message to land in (call `landed` once it has), or null when the destination
   * does not fit (that recv rejected; drop the message). Undefined: receive the message into a
   * buffer of its own and `deliver` it. `onStall` runs when the claimed recv times out mid-message.
   */
  claim(from: number, tag: string, kind: string, length: number, onStall: () => void): Uint8Array | null | undefined {
    const box = this.boxes[from]!;
    if (box.dead) return null;
    const w = box.waiters.get(tag)?.[0];
    if (!w?.into) return undefined;
    this.take(box, from, tag);
    const dest = w.into;
    if (length !== dest.length || kind !== kindOf(dest)) {
      w.reject(shapeError(from, tag, { kind, length }, dest));
      return null;
    }
    box.landing = w;
    if (Number.isFinite(w.timeoutMs)) {
      w.timer = setTimeout(() => {
        box.landing = undefined;
        w.reject(
          new TimeoutError(`rank ${from} stalled for ${w.timeoutMs} ms in the middle of a message (tag ${tag})`, {
            context: { peerRank: String(from) },
          }),
        );
        onStall();
      }, w.timeoutMs);
    }
    return new Uint8Array(dest.buffer, dest.byteOffset, dest.byteLength);
  }

  /** The message claimed last from `from` has fully landed in its destination. */
  landed(from: number): void {
    const box = this.boxes[from]!;
    const w = box.landing;
    if (!w) return;
    box.landing = undefined;
    if (w.timer) clearTimeout(w.timer);
    w.resolve(w.into!);
  }

  /**
   * `from` is gone: its queued messages are dropped and every pending and future recv from it
   * rejects with `err`. Returns true when a message was landing in a destination: the caller must
   * stop reading into it (synchronously, before the rejection is seen).
   */
  fail(from: number, err: UnavailableError): boolean {
    const box = this.boxes[from]!;
    if (box.dead) return false;
    box.dead = err;
    box.queues.clear();
    const landing = box.landing;
    box.landing = undefined;
    if (landing) {
      if (landing.timer) clearTimeout(landing.timer);
      landing.reject(err);
    }
    for (const list of box.waiters.values()) {
      for (const w of list) {
        if (w.timer) clearTimeout(w.timer);
        w.reject(err);
      }
    }
    box.waiters.clear();
    return landing !== undefined;
  }

  private wait(
    box: Box,
    from: number,
    tag: string,
    into: FloatArray | undefined,
    timeoutMs: number,
  ): Promise<FloatArray> {
    return new Promise<FloatArray>((resolve, reject) => {
      const w: Waiter = { tag, into, timeoutMs, resolve, reject, timer: undefined };
      const list = box.waiters.get(tag);
      if (list) list.push(w);
      else box.waiters.set(tag, [w]);
      this.arm(box, from, tag);
    });
  }

  private dequeue(box: Box, tag: string): FloatArray | undefined {
    const q = box.queues.get(tag);
    const data = q?.shift();
    if (q && q.length === 0) box.queues.delete(tag);
    return data;
  }

  /** Starts the timer of the oldest recv for `tag`, if it has none yet. */
  private arm(box: Box, from: number, tag: string): void {
    const w = box.waiters.get(tag)?.[0];
    if (!w || w.timer || !Number.isFinite(w.timeoutMs)) return;
    w.timer = setTimeout(() => {
      const list = box.waiters.get(tag);
      const i = list ? list.indexOf(w) : -1;
      if (list && i >= 0) list.splice(i, 1);
      if (list && list.length === 0) box.waiters.delete(tag);
      w.reject(
        new TimeoutError(`rank ${from} did not send within ${w.timeoutMs} ms (tag ${tag})`, {
          context: { peerRank: String(from) },
        }),
      );
      this.arm(box, from, tag);
    }, w.timeoutMs);
  }

  /** Takes the oldest recv for `tag` off its list and starts the next one's timer. */
  private take(box: Box, from: number, tag: string): Waiter | undefined {
    const list = box.waiters.get(tag);
    const w = list?.shift();
    if (!w) return undefined;
    if (w.timer) clearTimeout(w.timer);
    w.timer = undefined;
    if (list!.length === 0) box.waiters.delete(tag);
    else this.arm(box, from, tag);
    return w;
  }
}
