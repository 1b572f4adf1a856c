/**
 * A process's side of the object system: the objects it holds (served on its own data-plane
 * server) and a client that pulls objects held elsewhere. Actor host processes start theirs at
 * once; a driver starts its server the first time it holds a large object.
 */
import { ObjectFreedError, OwnerDiedError, TroupeError } from '../common/index.js';
import { logger, type Logger } from '../common/index.js';
import { DataPlaneClient, DataPlaneServer } from '../transport/index.js';
import { join, split, type SplitValue } from './out-of-band.js';
import { decode } from './codec.js';
import { parse } from './layout.js';
import { RefArg, decodingRefs, type RefDescriptor } from './ref.js';
import { ObjectStore } from './store.js';

/** Where an object's bytes wait: a data-plane address and the object id there. */
export interface ObjectLocation {
  objectId: string;
  address: string;
  size: number;
}

export interface ObjectPlaneOptions {
  token: string;
  /** The interface to serve on (and to advertise), or how to find it when first needed. */
  host: string | (() => Promise<string>);
  log?: Logger;
  /** Default timeout of one pull. */
  pullTimeoutMs?: number;
}

export class ObjectPlane {
  readonly store = new ObjectStore();
  private readonly client: DataPlaneClient;
  private server: Promise<DataPlaneServer> | undefined;
  private boundAddress: string | undefined;
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly opts: ObjectPlaneOptions) {
    this.client = new DataPlaneClient({ token: opts.token });
    this.log = opts.log ?? logger('objects');
  }

  /** This process's data-plane address, starting its server on first use. */
  async address(): Promise<string> {
    if (this.boundAddress) return this.boundAddress;
    this.server ??= (async () => {
      const host = typeof this.opts.host === 'string' ? this.opts.host : await this.opts.host();
      const server = await DataPlaneServer.start({
        token: this.opts.token,
        host,
        provider: this.store.provide,
        log: this.log,
      });
      this.boundAddress = server.address;
      return server;
    })();
    await this.server;
    return this.boundAddress!;
  }

  /** Whether the server is up (its address known). */
  get started(): boolean {
    return this.boundAddress !== undefined;
  }

  /** The address if the server is up, for synchronous paths that ran `address()` before. */
  get addressNow(): string {
    if (!this.boundAddress) throw new Error('object plane: address() was not awaited before use');
    return this.boundAddress;
  }

  /** Keeps a value here; returns where others pull it. */
  hold(id: string, value: SplitValue, options: { owner: string; once?: boolean }): ObjectLocation {
    const obj = this.store.put(id, value, options);
    return { objectId: id, address: this.addressNow, size: obj.size };
  }

  /**
   * The value of the object at `loc`, with any refs inside it resolved. An object held here is
   * copied, so the caller owns what it gets, as it would from a pull.
   */
  async fetch(loc: ObjectLocation, what: string, timeoutMs = this.opts.pullTimeoutMs): Promise<unknown> {
    let parts: SplitValue;
    if (loc.address === this.boundAddress) {
      const obj = this.store.get(loc.objectId);
      if (!obj) throw freed(loc, what);
      if (obj.once) this.store.delete(loc.objectId);
      parts = { envelope: obj.value.envelope, buffers: obj.value.buffers.map(copyAligned) };
    } else {
      let bytes: Uint8Array;
      try {
        bytes = await this.client.pull(loc.address, loc.objectId, timeoutMs === undefined ? {} : { timeoutMs });
      } catch (err) {
        throw this.pullFailed(loc, what, err);
      }
      parts = parse(bytes, what);
    }
    const { result, sawRefs } = decodingRefs(() => join(parts.envelope, parts.buffers));
    return sawRefs ? this.resolveRefs(result) : result;
  }

  /** The value a ref descriptor stands for. */
  materialize(d: RefDescriptor): unknown {
    if (d[1] === 0) return decode(d[2], `the inline value of object ${d[0]}`);
    if (d[1] === 1) return this.fetch({ objectId: d[0], address: d[2], size: d[3] }, `object ${d[0]}`);
    throw new ObjectFreedError(`object ${String(d[0])} was not ready or no longer exists when it was sent`, {
      context: { objectId: String(d[0]) },
    });
  }

  /** Replaces every RefArg inside `value` (in place) by its value, fetching each object once. */
  async resolveRefs<T>(value: T): Promise<T> {
    const found = new Map<string, RefArg>();
    visit(value, (r) => found.set(r.id, r));
    if (found.size === 0) return value;
    const values = new Map<string, unknown>();
    await Promise.all([...found.values()].map(async (r) => values.set(r.id, await this.materialize(r.descriptor))));
    return replace(value, (r) => values.get(r.id)) as T;
  }

  /** Splits a value for holding here, copying its large parts so later changes by the caller do not show. */
  static snapshot(value: unknown, threshold?: number): SplitValue {
    const s = split(value, threshold);
    return { envelope: s.envelope, buffers: s.buffers.map(copyAligned) };
  }

  stats(): { objects: number; bytes: number } {
    return this.store.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
    this.store.clear();
    const server = await this.server?.catch(() => undefined);
    await server?.close();
  }

  private pullFailed(loc: ObjectLocation, what: string, err: unknown): unknown {
    if (!(err instanceof TroupeError)) return err;
    if (err.code === 'INVALID_ARGUMENT' && err.context.objectId !== undefined) return freed(loc, what);
    if (err.code === 'UNAVAILABLE') {
      return new OwnerDiedError(
        `${what} is lost: the process that held it (data plane ${loc.address}) is gone or unreachable: ${err.message}`,
        { cause: err, context: { objectId: loc.objectId, address: loc.address } },
      );
    }
    return err;
  }
}

function freed(loc: ObjectLocation, what: string): ObjectFreedError {
  return new ObjectFreedError(
    `${what} no longer exists at ${loc.address}: it was freed (no reference to it was left, or its owner went away)`,
    { context: { objectId: loc.objectId, address: loc.address } },
  );
}

/** A copy in a fresh ArrayBuffer of its own (offset 0, so aligned for any element type). */
function copyAligned(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(new ArrayBuffer(b.byteLength));
  out.set(b);
  return out;
}

const isPlain = (v: object): boolean => {
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
};

function visit(v: unknown, on: (r: RefArg) => void, depth = 0): void {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || depth > 64) return;
  if (v instanceof RefArg) {
    on(v);
    return;
  }
  if (Array.isArray(v)) for (const x of v) visit(x, on, depth + 1);
  else if (v instanceof Map)
    for (const [k, x] of v) {
      visit(k, on, depth + 1);
      visit(x, on, depth + 1);
    }
  else if (v instanceof Set) for (const x of v) visit(x, on, depth + 1);
  else if (isPlain(v)) for (const k in v) visit((v as Record<string, unknown>)[k], on, depth + 1);
}

function replace(v: unknown, valueFor: (r: RefArg) => unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || depth > 64) return v;
  if (v instanceof RefArg) return valueFor(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = replace(v[i], valueFor, depth + 1);
  } else if (v instanceof Map) {
    const entries = [...v].map(([k, x]) => [replace(k, valueFor, depth + 1), replace(x, valueFor, depth + 1)] as const);
    v.clear();
    for (const [k, x] of entries) v.set(k, x);
  } else if (v instanceof Set) {
    const items = [...v].map((x) => replace(x, valueFor, depth + 1));
    v.clear();
    for (const x of items) v.add(x);
  } else if (isPlain(v)) {
    const o = v as Record<string, unknown>;
    for (const k in o) o[k] = replace(o[k], valueFor, depth + 1);
  }
  return v;
}
