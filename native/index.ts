/**
 * The native boundary, in one place: the typed declaration of the addon built from native/
 * (build/Release/troupe_native.node) and the loader. Plain functions on opaque tensor handles,
 * TypedArrays in and out, `T | null` for optional values. Every function is wrapped so a native
 * failure becomes a TroupeError (InvalidArgumentError, ObjectFreedError, DeviceUnavailableError,
 * UnavailableError and TimeoutError from NCCL, InternalError), and an asynchronous one rejects
 * instead of throwing.
 *
 * Tensors on 'cuda:N' run the CUDA library's kernels (native/cuda) on a stream per device owned
 * by the binding, inside the same worker threads; every tensor of one call must be on one device.
 *
 * Heavy operations run on libuv worker threads and return promises; the arithmetic inside is
 * split across the core's own thread pool (`setThreads`, or TROUPE_NUM_THREADS at load).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DeviceUnavailableError,
  InternalError,
  InvalidArgumentError,
  ModuleLoadError,
  ObjectFreedError,
  TimeoutError,
  TroupeError,
  UnavailableError,
} from '../src/common/errors.js';

/** An opaque handle to a native tensor (storage plus shape). Free it with `free`, or leave it to GC. */
export interface NativeTensor {
  readonly __nativeTensor: never;
}

export type DType = 'float32' | 'int32';
export type GemmBackend = 'blas' | 'fallback';

export interface NativeInfo {
  /** The CBLAS the core was built against, or null (own kernel only). */
  blas: 'openblas' | null;
  backend: GemmBackend;
  threads: number;
  /** Which build of the own GEMM kernel this CPU runs. */
  fallbackIsa: 'avx2+fma' | 'generic';
  /** Bytes of freed tensors the allocator keeps for reuse. */
  cachedBytes: number;
  cuda: { loaded: boolean; devices: number; reason: string | null };
}

export interface Described {
  freed: boolean;
  shape?: number[];
  dtype?: DType;
  device?: string;
}

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** True on the first step with momentum: the buffer starts as the gradient (PyTorch). */
  first: boolean;
}

export interface AdamwOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
}

type T = NativeTensor;

/** An opaque NCCL communicator (one rank's side); close it with `ncclClose`. */
export interface NcclComm {
  readonly __ncclComm: never;
}

export type NcclReduceOp = 'sum' | 'max' | 'avg';

/** The addon's functions as the C++ binding defines them (native/binding). */
export interface NativeAddon {
  info(): NativeInfo;
  setThreads(threads: number): void;
  setBackend(backend: GemmBackend): void;
  setCacheLimit(bytes: number): void;

  create(data: Float32Array | Int32Array, shape: readonly number[], device?: string): T;
  zeros(shape: readonly number[], dtype?: DType, device?: string): T;
  read(t: T): Float32Array | Int32Array;
  write(t: T, data: Float32Array | Int32Array): void;
  view(t: T, shape: readonly number[]): T;
  free(t: T): void;
  describe(t: T): Described;

  matmul(a: T, b: T, transA?: boolean, transB?: boolean, backend?: GemmBackend | null): Promise<T>;
  linear(x: T, weight: T, bias: T | null): Promise<T>;
  linearBackward(
    x: T,
    weight: T,
    dy: T,
    needDx: boolean,
    hasBias: boolean,
  ): Promise<{ dx: T | null; dweight: T; dbias: T | null }>;
  add(a: T, b: T): Promise<T>;
  scale(x: T, factor: number): Promise<T>;
  accumulate(target: T, x: T): Promise<void>;
  fill(target: T, value: number): Promise<void>;
  sum(x: T): Promise<T>;
  sumRows(x: T): Promise<T>;
  relu(x: T): Promise<T>;
  reluBackward(x: T, dy: T): Promise<T>;
  gelu(x: T): Promise<T>;
  geluBackward(x: T, dy: T): Promise<T>;
  layerNorm(x: T, gamma: T, beta: T, eps: number): Promise<{ y: T; mean: T; rstd: T }>;
  layerNormBackward(x: T, gamma: T, mean: T, rstd: T, dy: T): Promise<{ dx: T; dgamma: T; dbeta: T }>;
  softmaxCrossEntropy(logits: T, labels: T): Promise<{ loss: T; dlogits: T }>;
  sgdStep(params: T[], grads: T[], momentumBuffers: T[] | null, options: SgdOptions): Promise<void>;
  adamwStep(params: T[], grads: T[], m: T[], v: T[], options: AdamwOptions): Promise<void>;
  clipGradNorm(grads: T[], maxNorm: number): Promise<number>;

  /** NCCL's version (e.g. 22105); loads NCCL, so it throws DeviceUnavailableError naming where it looked. */
  ncclVersion(): number;
  /** A new 128-byte unique id, made by rank 0 and shared with every rank. */
  ncclUniqueId(): Uint8Array;
  /** Joins the communicator; resolves once all `size` ranks have called it with the same id. */
  ncclInit(rank: number, size: number, id: Uint8Array, device: string): Promise<NcclComm>;
  /**
   * Collectives on host arrays, in place: copied to the device, run by NCCL, copied back. Each
   * waits at most `timeoutMs`, polling NCCL's async error; on a failure or the deadline the
   * communicator is aborted (UnavailableError / TimeoutError) and every later call fails.
   * Calls on one communicator must not overlap: issue the next after the previous settled.
   */
  ncclAllreduce(comm: NcclComm, data: Float32Array | Float64Array, op: NcclReduceOp, timeoutMs: number): Promise<void>;
  ncclBroadcast(comm: NcclComm, data: Float32Array | Float64Array, root: number, timeoutMs: number): Promise<void>;
  ncclSend(comm: NcclComm, data: Float32Array | Float64Array, peer: number, timeoutMs: number): Promise<void>;
  ncclRecv(comm: NcclComm, into: Float32Array | Float64Array, peer: number, timeoutMs: number): Promise<void>;
  /** abort: stop at once (after a failure); otherwise wait for queued work, then free. */
  ncclClose(comm: NcclComm, abort: boolean): Promise<void>;
}

const SYNC = [
  'info',
  'setThreads',
  'setBackend',
  'setCacheLimit',
  'create',
  'zeros',
  'read',
  'write',
  'view',
  'free',
  'describe',
  'ncclVersion',
  'ncclUniqueId',
] as const;

/** Turns an error thrown by the addon (an Error with a string `code`) into a TroupeError. */
export function nativeError(err: unknown): TroupeError {
  if (err instanceof TroupeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const init = { cause: err };
  switch (code) {
    case 'INVALID_ARGUMENT':
      return new InvalidArgumentError(message, init);
    case 'OBJECT_FREED':
      return new ObjectFreedError(message, init);
    case 'DEVICE_UNAVAILABLE':
      return new DeviceUnavailableError(message, init);
    case 'UNAVAILABLE':
      return new UnavailableError(message, init);
    case 'TIMEOUT':
      return new TimeoutError(message, init);
    default:
      return new InternalError(`native core: ${message}`, init);
  }
}

const ADDON_NAME = 'troupe_native.node';

/** Where the addon may be: TROUPE_NATIVE_ADDON, then build/Release from the source or dist tree. */
function addonPath(): string | null {
  if (process.env.TROUPE_NATIVE_ADDON) return process.env.TROUPE_NATIVE_ADDON;
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    const candidate = path.resolve(here, up, 'build', 'Release', ADDON_NAME);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

let loaded: NativeAddon | undefined;

function wrap(raw: NativeAddon): NativeAddon {
  const out: Record<string, unknown> = {};
  const sync = new Set<string>(SYNC);
  for (const [name, fn] of Object.entries(raw as unknown as Record<string, unknown>)) {
    if (typeof fn !== 'function' || name === 'NativeTensor') continue;
    const f = fn as (...args: unknown[]) => unknown;
    out[name] = sync.has(name)
      ? (...args: unknown[]) => {
          try {
            return f(...args);
          } catch (err) {
            throw nativeError(err);
          }
        }
      : (...args: unknown[]) => {
          try {
            return (f(...args) as Promise<unknown>).catch((err: unknown) => {
              throw nativeError(err);
            });
          } catch (err) {
            return Promise.reject(nativeError(err));
          }
        };
  }
  return out as unknown as NativeAddon;
}

/** The addon, loaded on first use; throws ModuleLoadError naming the fix when it is not built. */
export function nativeAddon(): NativeAddon {
  if (loaded) return loaded;
  const file = addonPath();
  if (!file) {
    throw new ModuleLoadError(
      `the native addon ${ADDON_NAME} is not built: run \`npm install\` (or \`node native/build.mjs\`) in the troupe package`,
    );
  }
  try {
    loaded = wrap(createRequire(import.meta.url)(file) as NativeAddon);
  } catch (err) {
    throw new ModuleLoadError(
      `could not load the native addon ${file}: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
      },
    );
  }
  return loaded;
}
