/**
 * A process's side of the object system: the objects it holds (served on its own data-plane
 * server), a client that pulls objects held elsewhere, and the counts of borrowed refs it sends
 * (borrow.ts). Actor host processes start theirs at once; a driver starts its server the first
 * time it holds a large object. Every ObjectTable of the process (a driver's, each actor's) shares it.
 */
import { ObjectFreedError, OwnerDiedError, SerializationError, TroupeError } from '../common/index.js';
import { logger, type Logger } from '../common/index.js';
import { DataPlaneClient, DataPlaneServer } from '../transport/index.js';
import { Borrows, countedOf } from './borrow.js';
import { join, split, type SplitValue } from './out-of-band.js';
import { decode, encode } from './codec.js';
import { parse } from './layout.js';
import {
  RefArg,
  collectingRefs,
  decodingArgs,
  decodingRefs,
  decodingRefsWith,
  type RefDescriptor,
  type RefState,
  type StoredDescriptor,
} from './ref.js';
import { ObjectStore, ownerDiedMessage } from './store.js';

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

/** How a fetched value's refs come out: resolved (call arguments), or borrowed refs, inheriting the sender's counts or adding their own. */
export interface FetchValueOptions {
  /** The message was delivered once and its sender added the counts (a pull-once result). */
  inherit?: boolean;
  /** The object's owner, to name it when the object is lost. */
  owner?: string;
  timeoutMs?: number;
}

export class ObjectPlane {
  readonly store: ObjectStore = new ObjectStore({ releaseInner: (inner) => this.borrows.release(inner) });
  readonly client: DataPlaneClient;
  readonly borrows: Borrows;
  private server: Promise<DataPlaneServer> | undefined;
  private boundAddress: string | undefined;
  private readonly log: Logger;
  private closed = false;

  constructor(private readonly opts: ObjectPlaneOptions) {
    this.client = new DataPlaneClient({ token: opts.token });
    this.log = opts.log ?? logger('objects');
    this.borrows = new Borrows({ store: this.store, client: this.client, localAddress: () => this.boundAddress });
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
        ownerDied: this.store.ownerDied,
        counts: (kind, ids) => this.store.count(kind, ids),
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

  /**
   * Keeps a split value here; returns where others pull it. `inner`: the stored refs inside it,
   * whose counts it holds (see holdValue); released when it goes.
   */
  hold(
    id: string,
    value: SplitValue,
    options: { owner: string; once?: boolean; inner?: readonly StoredDescriptor[] },
  ): ObjectLocation {
    const obj = this.store.put(id, value, options);
    return { objectId: id, address: this.addressNow, size: obj.size };
  }

  /**
   * Keeps a value here (split, and with `snapshot` its large parts copied), adding one count for
   * each stored ref inside it: a container holds them while it lives; a pull-once object hands
   * them to its reader. The server must be up (`address()` awaited).
   */
  holdValue(
    id: string,
    value: unknown,
    options: { owner: string; once?: boolean; snapshot?: boolean },
  ): ObjectLocation {
    const { result, refs } = collectingRefs(() => (options.snapshot ? ObjectPlane.snapshot(value) : split(value)));
    assertReady(refs, `the value of object ${id}`);
    const inner = countedOf(refs);
    this.borrows.add(inner);
    return this.hold(id, result, { owner: options.owner, once: options.once ?? false, inner });
  }

  /** Encodes a message delivered once (an inline result), adding one count per stored ref inside it for its receiver. */
  encodeMessage(value: unknown, what: string): Buffer {
    const { result, refs } = collectingRefs(() => encode(value, what));
    if (refs.length === 0) return result;
    assertReady(refs, what);
    this.borrows.add(countedOf(refs));
    return result;
  }

  /**
   * Decodes a value whose refs come out as borrowed ObjectRefs: `inherit`, the sender added their
   * counts (a message delivered once); otherwise this process adds its own (read from a container).
   */
  decodeValue(bytes: Uint8Array, what: string, inherit: boolean): unknown {
    return decodingRefsWith(
      (d) => this.borrows.borrowed(d, inherit),
      () => decode(bytes, what),
    );
  }

  /**
   * The value of the object at `loc`, with any refs inside it resolved (call arguments). An object
   * held here is copied, so the caller owns what it gets, as it would from a pull.
   */
  async fetch(loc: ObjectLocation, what: string, timeoutMs = this.opts.pullTimeoutMs): Promise<unknown> {
    const parts = await this.parts(loc, what, timeoutMs, undefined);
    const { result, sawRefs } = decodingArgs(() => decodingRefs(() => join(parts.envelope, parts.buffers)));
    return sawRefs ? this.resolveRefs(result) : result;
  }

  /** The value of the object at `loc`, its refs borrowed ObjectRefs (see decodeValue). */
  async fetchValue(loc: ObjectLocation, what: string, options: FetchValueOptions = {}): Promise<unknown> {
    const parts = await this.parts(loc, what, options.timeoutMs ?? this.opts.pullTimeoutMs, options.owner);
    return decodingRefsWith(
      (d) => this.borrows.borrowed(d, options.inherit ?? false),
      () => join(parts.envelope, parts.buffers),
    );
  }

  /** The value a ref descriptor stands for (a ref passed as an argument): refs inside it come out borrowed. */
  materialize(d: RefDescriptor): unknown {
    if (d[1] === 0) return this.decodeValue(d[2], `the inline value of object ${d[0]}`, false);
    if (d[1] === 1) {
      return this.fetchValue({ objectId: d[0], address: d[2], size: d[3] }, `object ${d[0]}`, { owner: d[4] });
    }
    throw new ObjectFreedError(`object ${String(d[0])} was not ready or no longer exists when it was sent`, {
      context: { objectId: String(d[0]) },
    });
  }

  private async parts(
    loc: ObjectLocation,
    what: string,
    timeoutMs: number | undefined,
    owner: string | undefined,
  ): Promise<SplitValue> {
    if (loc.address === this.boundAddress) {
      const obj = this.store.take(loc.objectId);
      if (!obj) {
        const died = this.store.diedWith(loc.objectId);
        if (died !== undefined) {
          throw new OwnerDiedError(`${what}: ${ownerDiedMessage(loc.objectId, died)}`, {
            context: { objectId: loc.objectId, owner: died },
          });
        }
        throw freed(loc, what);
      }
      return { envelope: obj.value.envelope, buffers: obj.value.buffers.map(copyAligned) };
    }
    let bytes: Uint8Array;
    try {
      bytes = await this.client.pull(loc.address, loc.objectId, timeoutMs === undefined ? {} : { timeoutMs });
    } catch (err) {
      throw this.pullFailed(loc, what, err, owner);
    }
    return parse(bytes, what);
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
    this.borrows.close();
    this.client.close();
    this.store.clear();
    const server = await this.server?.catch(() => undefined);
    await server?.close();
  }

  private pullFailed(loc: ObjectLocation, what: string, err: unknown, owner: string | undefined): unknown {
    if (!(err instanceof TroupeError)) return err;
    if (err.code === 'INVALID_ARGUMENT' && err.context.objectId !== undefined) return freed(loc, what);
    const context = { objectId: loc.objectId, address: loc.address, ...(owner ? { owner } : {}) };
    // The holder answered that the owner died (it names the owner).
    if (err.code === 'OWNER_DIED') return new OwnerDiedError(`${what}: ${err.message}`, { cause: err, context });
    if (err.code === 'UNAVAILABLE') {
      const whose = owner ? ` (owner ${owner})` : '';
      return new OwnerDiedError(
        `${what}${whose} is lost: the process that held it (data plane ${loc.address}) is gone or unreachable: ${err.message}`,
        { cause: err, context },
      );
    }
    return err;
  }
}

/** A message or kept value can only carry refs that are ready: a pending one would reach its reader as a dead end. */
function assertReady(refs: readonly RefState[], what: string): void {
  const missing = refs.find((r) => r.descriptor() === undefined);
  if (!missing) return;
  throw new SerializationError(
    `${what} holds ObjectRef(${missing.id}), which is not ready (or failed, or was freed): await cluster.wait([ref]) (or get it) before returning it`,
    { context: { objectId: missing.id } },
  );
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
