/**
 * The 'nccl' collective backend: NCCL communicators from the native core (native/binding/nccl.cc).
 *
 * Rendezvous: rank 0's endpoint makes NCCL's 128-byte unique id and offers it, base64, as its
 * rendezvous string; every rank then joins with rank 0's id (the other ranks offer nothing).
 * Each rank uses GPU `TROUPE_NCCL_DEVICE` ('cuda:N' or N) if set, else `rank % visible GPUs`.
 *
 * The collectives take host Float32Array/Float64Array like the 'tcp' backend's: each call copies
 * the data to the GPU, runs NCCL and copies the result back (keeping tensors on the GPU is for a
 * later version). allgather is one broadcast per rank, reduceScatter an allreduce and a slice,
 * barrier a one-element allreduce; send/recv carry a small header (length, type) first, so recv
 * needs no length. NCCL has no tags: p2p messages match in call order per peer, and the `tag`
 * options are ignored. Calls run one at a time per rank, in call order, as NCCL requires. A failed
 * or timed-out call aborts the communicator; every later call then fails naming why.
 */
import { nativeAddon, type NativeAddon, type NcclComm, type NcclReduceOp } from '../../native/index.js';
import { DeviceUnavailableError, InvalidArgumentError, TimeoutError, TroupeError } from '../common/index.js';
import {
  registerCollectiveBackend,
  type BackendEndpoint,
  type CollectiveBackend,
  type CollectiveOps,
  type EndpointOptions,
  type P2POptions,
} from './group.js';
import {
  segmentBounds,
  type AllgatherOptions,
  type BroadcastOptions,
  type ReduceOp,
  type ReduceOptions,
} from './ring.js';
import { DEFAULT_TIMEOUT_MS, type CollectiveOptions } from './steps.js';
import type { FloatArray } from './transport.js';

const ID_BYTES = 128;
const REDUCE: Record<ReduceOp, NcclReduceOp> = { sum: 'sum', mean: 'avg', max: 'max' };

/**
 * The native core, a GPU and NCCL, or a DeviceUnavailableError that names everything missing
 * (for example both "no NVIDIA GPU" and "libnccl.so.2 not found").
 */
function preflight(rank: number): { native: NativeAddon; devices: number } {
  const native = nativeAddon();
  const missing: string[] = [];
  const cuda = native.info().cuda;
  if (cuda.devices === 0) missing.push(cuda.reason ?? 'no NVIDIA GPU was found');
  try {
    native.ncclVersion();
  } catch (err) {
    missing.push(`NCCL (libnccl.so.2) could not be loaded: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (missing.length) {
    throw new DeviceUnavailableError(`collective backend 'nccl' cannot run on rank ${rank}: ${missing.join('; ')}`, {
      context: { rank: String(rank) },
    });
  }
  return { native, devices: cuda.devices };
}

function deviceFor(rank: number, devices: number): string {
  const env = process.env.TROUPE_NCCL_DEVICE;
  if (!env) return `cuda:${rank % devices}`;
  const m = /^(?:cuda:)?(\d+)$/.exec(env);
  if (!m)
    throw new InvalidArgumentError(`TROUPE_NCCL_DEVICE must be 'cuda:N' or N, got '${env}'`, {
      context: { field: 'TROUPE_NCCL_DEVICE' },
    });
  return `cuda:${m[1]}`;
}

function decodeId(text: string | undefined): Uint8Array {
  const id = new Uint8Array(Buffer.from(text ?? '', 'base64'));
  if (id.length !== ID_BYTES) {
    throw new InvalidArgumentError(
      `nccl: rank 0's rendezvous must be a base64 NCCL unique id of ${ID_BYTES} bytes, got ${id.length} bytes`,
      {
        context: { field: 'rendezvous' },
      },
    );
  }
  return id;
}

/** Rejects after `ms` unless `p` settles first (ncclInit cannot be cancelled: it is left to finish). */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new TimeoutError(`${what} did not finish within ${ms} ms; is every rank up and on its own GPU?`)),
      ms,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function timeoutOf(opts: CollectiveOptions | undefined): number {
  const t = opts?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(t > 0)) throw new InvalidArgumentError(`timeoutMs must be > 0, got ${t}`, { context: { field: 'timeoutMs' } });
  return t;
}

const alloc = (f64: boolean, n: number): FloatArray => (f64 ? new Float64Array(n) : new Float32Array(n));
const header = (data: FloatArray): Float64Array => Float64Array.of(data.length, data instanceof Float64Array ? 1 : 0);

class NcclOps implements CollectiveOps {
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly native: NativeAddon,
    private readonly comm: NcclComm,
    private readonly rank: number,
    private readonly size: number,
  ) {}

  /** Runs `fn` after every earlier call settled: NCCL needs the same order of calls on every rank. */
  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.#chain.then(fn);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  private reduceInPlace(data: FloatArray, op: ReduceOp, timeoutMs: number): Promise<void> {
    const nop = REDUCE[op];
    if (!nop)
      throw new InvalidArgumentError(`op must be 'sum', 'mean' or 'max', got '${op}'`, { context: { field: 'op' } });
    return this.native.ncclAllreduce(this.comm, data, nop, timeoutMs);
  }

  allreduce<T extends FloatArray>(data: T, opts: ReduceOptions = {}): Promise<T> {
    return this.serial(async () => {
      const { out } = opts;
      if (
        !opts.inPlace &&
        out &&
        (out === data || out.length !== data.length || out.constructor !== data.constructor)
      ) {
        throw new InvalidArgumentError('out must be another array of the same length and type as the input', {
          context: { field: 'out' },
        });
      }
      const target = (opts.inPlace ? data : (out ?? data.slice())) as T;
      if (target !== data) target.set(data);
      await this.reduceInPlace(target, opts.op ?? 'sum', timeoutOf(opts));
      return target;
    });
  }

  reduceScatter<T extends FloatArray>(
    data: T,
    op: ReduceOp = 'sum',
    opts: CollectiveOptions & { chunkElems?: number; inPlace?: boolean } = {},
  ): Promise<T> {
    return this.serial(async () => {
      const buf = (opts.inPlace ? data : data.slice()) as T;
      await this.reduceInPlace(buf, op, timeoutOf(opts));
      const off = segmentBounds(data.length, this.size);
      const mine = buf.subarray(off[this.rank]!, off[this.rank + 1]!) as T;
      return (opts.inPlace ? mine : mine.slice()) as T;
    });
  }

  allgather<T extends FloatArray>(segment: T, opts: AllgatherOptions = {}): Promise<T> {
    return this.serial(async () => {
      const { rank: r, size: n } = this;
      const lengths = opts.lengths ?? new Array<number>(n).fill(segment.length);
      if (lengths.length !== n || lengths[r] !== segment.length) {
        throw new InvalidArgumentError(
          `lengths must have ${n} entries with lengths[${r}] = ${segment.length} (this rank's segment), got [${lengths.join(', ')}]`,
          { context: { field: 'lengths' } },
        );
      }
      const off = [0];
      for (let i = 0; i < n; i++) off.push(off[i]! + lengths[i]!);
      const out = alloc(segment instanceof Float64Array, off[n]!);
      out.set(segment, off[r]);
      const timeoutMs = timeoutOf(opts);
      for (let i = 0; i < n; i++) {
        if (lengths[i]! > 0)
          await this.native.ncclBroadcast(this.comm, out.subarray(off[i]!, off[i + 1]!), i, timeoutMs);
      }
      return out as T;
    });
  }

  broadcast<T extends FloatArray>(data: T | undefined, root: number, opts: BroadcastOptions = {}): Promise<T> {
    return this.serial(async () => {
      if (!Number.isInteger(root) || root < 0 || root >= this.size) {
        throw new InvalidArgumentError(`root must be a rank in [0, ${this.size}), got ${root}`, {
          context: { field: 'root' },
        });
      }
      const timeoutMs = timeoutOf(opts);
      if (this.rank === root && !data)
        throw new InvalidArgumentError(`the root (rank ${root}) must pass data`, { context: { field: 'data' } });
      // The root's length and type first, so the others can allocate or check theirs.
      const head = this.rank === root ? header(data!) : new Float64Array(2);
      await this.native.ncclBroadcast(this.comm, head, root, timeoutMs);
      if (this.rank === root) {
        await this.native.ncclBroadcast(this.comm, data!, root, timeoutMs);
        return data!;
      }
      const [length, f64] = [head[0]!, head[1] === 1];
      const fits = !data || (data.length === length && data instanceof Float64Array === f64);
      const out = fits && data ? data : alloc(f64, length);
      await this.native.ncclBroadcast(this.comm, out, root, timeoutMs); // take part even on a mismatch
      if (!fits) {
        throw new InvalidArgumentError(
          `broadcast: rank ${root} sends a ${f64 ? 'Float64Array' : 'Float32Array'} of ${length}; the array passed here does not match`,
          { context: { field: 'data' } },
        );
      }
      return out as T;
    });
  }

  send(data: FloatArray, to: number, opts?: P2POptions): Promise<void> {
    return this.serial(async () => {
      const timeoutMs = timeoutOf(opts);
      await this.native.ncclSend(this.comm, header(data), to, timeoutMs);
      await this.native.ncclSend(this.comm, data, to, timeoutMs);
    });
  }

  recv(from: number, opts?: P2POptions & { into?: FloatArray }): Promise<FloatArray> {
    return this.serial(async () => {
      const timeoutMs = timeoutOf(opts);
      const head = new Float64Array(2);
      await this.native.ncclRecv(this.comm, head, from, timeoutMs);
      const [length, f64] = [head[0]!, head[1] === 1];
      const into = opts?.into;
      const fits = !into || (into.length === length && into instanceof Float64Array === f64);
      const out = fits && into ? into : alloc(f64, length);
      await this.native.ncclRecv(this.comm, out, from, timeoutMs);
      if (!fits) {
        throw new InvalidArgumentError(
          `recv: rank ${from} sent a ${f64 ? 'Float64Array' : 'Float32Array'} of ${length}; 'into' does not match`,
          { context: { field: 'into' } },
        );
      }
      return out;
    });
  }

  barrier(opts?: CollectiveOptions): Promise<void> {
    return this.serial(() => this.native.ncclAllreduce(this.comm, new Float32Array(1), 'sum', timeoutOf(opts)));
  }

  /** Aborts the communicator: a call in flight fails at once instead of waiting for its timeout. */
  async close(): Promise<void> {
    await this.native.ncclClose(this.comm, true);
  }
}

/** One rank's endpoint: checks GPU and NCCL now, so a group on a machine without them fails at once. */
export const ncclBackend: CollectiveBackend = async (opts: EndpointOptions): Promise<BackendEndpoint> => {
  const { rank, size } = opts;
  // Connect to peers inside ncclInit (which has a timeout here) rather than lazily inside the first
  // collective's enqueue, where a missing peer would block with no watcher to abort it. NCCL reads
  // its environment once, so this must come before its first call; a user's setting wins.
  process.env.NCCL_RUNTIME_CONNECT ??= '0';
  const { native, devices } = preflight(rank);
  const device = deviceFor(rank, devices);
  const id = rank === 0 ? native.ncclUniqueId() : null;
  let comm: NcclComm | null = null;
  return {
    rendezvous: id ? Buffer.from(id).toString('base64') : '',
    async connect(rendezvous, timeoutMs) {
      const shared = decodeId(rendezvous[0]);
      try {
        comm = await within(
          native.ncclInit(rank, size, shared, device),
          timeoutMs,
          `nccl: rank ${rank} joining the communicator on ${device}`,
        );
      } catch (err) {
        if (err instanceof TroupeError) err.context.rank ??= String(rank);
        throw err;
      }
      opts.log.debug({ rank, size, device }, 'joined the NCCL communicator');
      return new NcclOps(native, comm, rank, size);
    },
    async close() {
      // Before connect there is nothing to free; after it the group's ops own the communicator.
    },
  };
};

registerCollectiveBackend('nccl', ncclBackend);
