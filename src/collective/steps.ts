import { InvalidArgumentError, TimeoutError, UnavailableError } from '../common/index.js';
import { copyInto, type PeerTransport, type FloatArray } from './transport.js';

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
  if (err instanceof TimeoutError)
    return new TimeoutError(`${what}: ${err.message}`, { cause: err, context: err.context });
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

export function alloc(f64: boolean, length: number): FloatArray {
  return f64 ? new Float64Array(length) : new Float32Array(length);
}

const kindOf = (x: FloatArray): string => (x instanceof Float64Array ? 'Float64Array' : 'Float32Array');

/** Peers that disagree on length or element type are a caller bug: say so rather than corrupt data. */
export function checkShape(what: string, from: number, got: FloatArray, length: number, like: FloatArray): void {
  if (got.length !== length || kindOf(got) !== kindOf(like)) {
    throw new InvalidArgumentError(
      `${what}: rank ${from} sent a ${kindOf(got)} of ${got.length}, expected a ${kindOf(like)} of ${length}; ` +
        'every rank must pass the same length and element type',
      { context: { peerRank: String(from) } },
    );
  }
}

/** recvInto when the transport has it, else recv and a copy. */
export function recvInto(
  t: PeerTransport,
  from: number,
  tag: string,
  dest: FloatArray,
  timeoutMs: number,
): Promise<void> {
  if (t.recvInto) return t.recvInto(from, tag, dest, timeoutMs);
  return t.recv(from, tag, timeoutMs).then((got) => copyInto(from, tag, got, dest));
}

/** Values per ring message by default: 1 MiB of float32. */
export const DEFAULT_RING_CHUNK_BYTES = 1024 * 1024;

/** Elements per ring message: `chunkElems` if given (validated), else 1 MiB's worth. */
export function chunkElemsOf(opts: { chunkElems?: number }, like: FloatArray): number {
  const chunk = opts.chunkElems ?? DEFAULT_RING_CHUNK_BYTES / like.BYTES_PER_ELEMENT;
  if (!Number.isInteger(chunk) || chunk < 1) {
    throw new InvalidArgumentError(`chunkElems must be an integer ≥ 1, got ${chunk}`, {
      context: { field: 'chunkElems' },
    });
  }
  return chunk;
}

/** One step of a ring: send segment `send` to the next rank while receiving `recv` from the previous. */
export interface RingStep {
  send: number;
  recv: number;
  /** Combine what arrives with `src` (reduce-scatter) rather than store it (allgather). */
  reduce: boolean;
}

export interface RingPlan {
  /** Step 0's outgoing values and each reduction's local operand. */
  src: FloatArray;
  /** Where arriving values land; may be `src` (in place). */
  out: FloatArray;
  /** Segment i is [off[i], off[i+1]) of src and out. */
  off: readonly number[];
  steps: readonly RingStep[];
  /** Number of steps[0] in tags and messages (≥ 1: number 0 is the shape exchange); step j's tag is `${tag}:${first + j}`. */
  first: number;
  /** out[lo, hi) op= x[lo, hi) for reduce steps. */
  combine(dst: FloatArray, x: FloatArray): void;
  /** Called once a chunk [lo, hi) of step j is complete, before it is forwarded. */
  after?(j: number, chunk: FloatArray): void;
  chunkElems: number;
}

/** The chunks [lo, hi) of a segment; an empty segment is one empty chunk, so every step sends. */
function chunksOf(lo: number, hi: number, elems: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let a = lo; a < hi; a += elems) out.push([a, Math.min(a + elems, hi)]);
  if (out.length === 0) out.push([lo, lo]);
  return out;
}

const kindName = (x: FloatArray): string => (x instanceof Float64Array ? 'Float64Array' : 'Float32Array');

/**
 * Runs a ring as a pipeline of chunks. Step j+1 forwards exactly the segment step j received, so
 * chunk k of step j+1 leaves as soon as chunk k of step j has arrived and been reduced, while the
 * later chunks are still on the wire: reduction overlaps transfer and the ring never drains
 * between steps. Arriving chunks are received in place (recvInto) — into `out`, or for an in-place
 * reduction into one of two scratch buffers — and sends are views of `out`, so nothing is copied
 * but by the kernel. Ranks first exchange their array shapes (step 0), so a caller that passes different
 * lengths on different ranks gets an error rather than a misread stream.
 */
export async function ringPipeline(c: Ctx, plan: RingPlan): Promise<void> {
  const { t } = c;
  const { src, out, off, steps, first } = plan;
  const n = t.size;
  const next = mod(t.rank + 1, n);
  const prev = mod(t.rank - 1, n);
  const segChunks = (i: number) => chunksOf(off[i]!, off[i + 1]!, plan.chunkElems);
  const stepName = (j: number) => `${c.name} step ${first + j}`;
  const tagOf = (j: number) => `${c.tag}:${first + j}`;

  let failWith!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (failWith = reject));
  failed.catch(() => {});

  // In place, a reduce step cannot land its chunks in `out` (they would overwrite the operand).
  let scratch: FloatArray[] = [];
  if (out === src && steps.some((s) => s.reduce)) {
    let most = 0;
    for (let i = 0; i < n; i++) most = Math.max(most, off[i + 1]! - off[i]!);
    scratch = [alloc(src instanceof Float64Array, most), alloc(src instanceof Float64Array, most)];
  }

  const sends: Promise<void>[] = [];
  const send = (j: number, view: FloatArray) => {
    const p = t.send(next, tagOf(j), view);
    p.catch((err: unknown) => failWith(annotate(stepName(j), err)));
    sends.push(p);
  };

  // Where chunk [lo, hi) of step j lands.
  const landing = (j: number, lo: number, hi: number): FloatArray => {
    const step = steps[j]!;
    if (!step.reduce || out !== src) return out.subarray(lo, hi);
    const base = off[step.recv]!;
    return scratch[j % 2]!.subarray(lo - base, hi - base);
  };
  const posted: Array<Array<Promise<void>>> = [];
  const post = (j: number) => {
    posted[j] = segChunks(steps[j]!.recv).map(([lo, hi]) => {
      const p = recvInto(t, prev, tagOf(j), landing(j, lo, hi), c.timeoutMs);
      p.catch(() => {});
      return p;
    });
  };

  post(0);
  const shape = Float64Array.from([src instanceof Float64Array ? 1 : 0, ...off]);
  let prevJoined = false;
  const theirs = t.recv(prev, `${c.tag}:0`, c.timeoutMs).then((got) => {
    prevJoined = true;
    if (got.length !== shape.length || got.some((v, i) => v !== shape[i])) {
      const describe = (s: ArrayLike<number>) =>
        `a ${s[0] === 1 ? 'Float64Array' : 'Float32Array'} of ${s[s.length - 1]} split [${Array.from(s).slice(1).join(', ')}]`;
      throw new InvalidArgumentError(
        `${c.name}: rank ${prev} passed ${describe(got)}, rank ${t.rank} ${describe(shape)} (${kindName(src)}); ` +
          'every rank must pass the same length and element type',
        { context: { peerRank: String(prev) } },
      );
    }
  });
  theirs.catch((err: unknown) => failWith(annotate(`${c.name} step 0`, err)));
  const shapeSent = t.send(next, `${c.tag}:0`, shape);
  shapeSent.catch((err: unknown) => failWith(annotate(`${c.name} step 0`, err)));

  for (const [lo, hi] of segChunks(steps[0]!.send)) send(0, src.subarray(lo, hi));

  for (let j = 0; j < steps.length; j++) {
    const step = steps[j]!;
    const chunks = segChunks(step.recv);
    for (let k = 0; k < chunks.length; k++) {
      // `failed` carries errors already annotated; a recv's own error gets its step here.
      const lost = await Promise.race([posted[j]![k]!.then(noError, (err: unknown) => ({ err })), failed]);
      if (lost) {
        // A previous rank that took part (its shape came) is likely stuck behind the real culprit.
        const upstream = lost.err instanceof TimeoutError && prevJoined;
        throw annotate(stepName(j), upstream ? await upstreamReason(c, prev, lost.err as TimeoutError) : lost.err);
      }
      // Step j+1's chunks follow all of step j's on the wire: posting them now, before the
      // next read, lets every one of them be read in place.
      if (k === 0 && j + 1 < steps.length) post(j + 1);
      const [lo, hi] = chunks[k]!;
      const dst = out.subarray(lo, hi);
      if (step.reduce) plan.combine(dst, out === src ? landing(j, lo, hi) : src.subarray(lo, hi));
      plan.after?.(j, dst);
      if (j + 1 < steps.length) send(j + 1, dst);
    }
  }
  // The caller may reuse `src` and `out` once we return: wait until every send has been flushed.
  await Promise.race([Promise.all([...sends, shapeSent, theirs]), failed]);
}

const noError = (): undefined => undefined;

/**
 * After timing out on `prev`, waits briefly for word that `prev` gave up (its ABORT may be on the
 * way, and names the rank that really failed further up the ring); the timeout if none comes.
 */
async function upstreamReason(c: Ctx, prev: number, timeout: TimeoutError): Promise<Error> {
  try {
    await c.t.recv(prev, `${c.tag}:probe`, Math.min(250, c.timeoutMs));
  } catch (err) {
    if (err instanceof UnavailableError) return err;
  }
  return timeout;
}
