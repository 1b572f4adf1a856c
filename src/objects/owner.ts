/**
 * The owner's table of objects (the driver's): every ObjectRef it handed out, where the value is,
 * and how many in-flight calls still need it. A value is freed, where it lives, when its ref has
 * been released (garbage collected, or `cluster.free`) and no call that carries it is in flight;
 * everything goes when the owner shuts down (actor processes drop what they held for it when its
 * stream ends).
 */
import {
  InvalidArgumentError,
  ObjectFreedError,
  SerializationError,
  TimeoutError,
  errorToInfo,
  errorFromInfo,
  type ErrorInfo,
} from '../common/index.js';
import { decode, encode } from './codec.js';
import { hasLargeParts, DEFAULT_OUT_OF_BAND_BYTES, split, type SplitValue } from './out-of-band.js';
import { ObjectPlane, type ObjectLocation } from './plane.js';
import { ObjectRef, collectingRefs, type RefDescriptor, type RefState } from './ref.js';

/** Where a ready value is: inline in the owner, or on a data plane (this process's, or an actor host's). */
type Where =
  | { kind: 'inline'; envelope: Uint8Array }
  | {
      kind: 'stored';
      location: ObjectLocation /** gRPC address of the actor host holding it; undefined: this process */;
      holder?: string;
    };

export class OwnedObject implements RefState {
  status: 'pending' | 'ready' | 'failed' | 'freed' = 'pending';
  where: Where | undefined;
  error: ErrorInfo | undefined;
  /** In-flight calls that carry this ref as an argument. */
  pins = 0;
  /** No ObjectRef to it is left in the owner (collected or freed). */
  released = false;
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    readonly id: string,
    /** The table that owns it. */
    readonly table: object,
  ) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  descriptor(): RefDescriptor | undefined {
    if (this.status !== 'ready' || !this.where) return undefined;
    if (this.where.kind === 'inline') return [this.id, 0, this.where.envelope];
    return [this.id, 1, this.where.location.address, this.where.location.size];
  }

  settle(where: Where | undefined, error?: unknown): void {
    if (this.status !== 'pending') return;
    if (where) {
      this.status = 'ready';
      this.where = where;
    } else {
      this.status = 'failed';
      this.error = errorToInfo(error);
    }
    this.markReady();
  }
}

export interface OwnerHooks {
  /** Tells the actor host at `holder` (gRPC address) to drop these objects. */
  freeRemote(holder: string, ids: string[]): void;
}

export interface WaitOptions {
  /** How many refs must be ready before `wait` returns. Default 1. */
  numReturns?: number;
  /** Return what is ready after this long. Default: no limit. */
  timeoutMs?: number;
}

/** Arguments of one call, encoded: inline bytes, or large parts to be pulled by the callee. */
export interface EncodedArgs {
  envelope: Buffer;
  /** Set when the arguments hold large binary parts (the envelope is then inside the parts' manifest). */
  parts: SplitValue | undefined;
  refs: OwnedObject[];
}

let ownerSeq = 0;

export class ObjectTable {
  private readonly objects = new Map<string, OwnedObject>();
  private readonly collector = new FinalizationRegistry<OwnedObject>((obj) => this.release(obj));
  private seq = 0;
  private readonly prefix: string;

  constructor(
    readonly plane: ObjectPlane,
    ownerId: string,
    private readonly hooks: OwnerHooks,
    private readonly threshold = DEFAULT_OUT_OF_BAND_BYTES,
  ) {
    this.prefix = `${ownerId}.${(ownerSeq++).toString(36)}`;
  }

  /** A new pending object and the one ref to it. */
  create<T>(): { ref: ObjectRef<T>; obj: OwnedObject } {
    const obj = new OwnedObject(`${this.prefix}.${(this.seq++).toString(36)}`, this);
    this.objects.set(obj.id, obj);
    const ref = new ObjectRef<T>(obj);
    this.collector.register(ref, obj, ref);
    return { ref, obj };
  }

  async put<T>(value: T): Promise<ObjectRef<T>> {
    const { result, refs } = collectingRefs(() =>
      hasLargeParts(value, this.threshold)
        ? ObjectPlane.snapshot(value, this.threshold)
        : { envelope: encode(value, 'the value to put'), buffers: [] },
    );
    if (refs.length > 0) {
      throw new SerializationError(
        'cluster.put cannot store ObjectRefs inside a value; pass the refs to calls directly',
        {
          context: { field: 'value' },
        },
      );
    }
    const { ref, obj } = this.create<T>();
    if (result.buffers.length === 0) {
      obj.settle({ kind: 'inline', envelope: result.envelope });
    } else {
      await this.plane.address();
      obj.settle({ kind: 'stored', location: this.plane.hold(obj.id, result, { owner: 'self' }) });
    }
    return ref;
  }

  async get<T>(ref: ObjectRef<T>, options: { timeoutMs?: number } = {}): Promise<T> {
    const obj = this.owned(ref);
    await this.waitReady(obj, options.timeoutMs, 'get');
    obj.pins++;
    try {
      return (await this.valueOf(obj)) as T;
    } finally {
      this.unpin([obj]);
    }
  }

  async wait<T>(refs: readonly ObjectRef<T>[], options: WaitOptions = {}): Promise<[ObjectRef<T>[], ObjectRef<T>[]]> {
    if (!Array.isArray(refs))
      throw new InvalidArgumentError('wait takes an array of ObjectRefs', { context: { field: 'refs' } });
    const objs = refs.map((r) => this.owned(r));
    const numReturns = options.numReturns ?? 1;
    if (!Number.isInteger(numReturns) || numReturns < 0 || numReturns > refs.length) {
      throw new InvalidArgumentError(
        `numReturns must be an integer in [0, ${refs.length}] (the number of refs), got ${numReturns}`,
        {
          context: { field: 'numReturns' },
        },
      );
    }
    const { timeoutMs } = options;
    if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs < 0)) {
      throw new InvalidArgumentError(`timeoutMs must be a number ≥ 0, got ${timeoutMs}`, {
        context: { field: 'timeoutMs' },
      });
    }
    const done = (): number => objs.filter((o) => o.status !== 'pending').length;
    if (done() < numReturns) {
      await new Promise<void>((resolve) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
        let left = numReturns - done();
        for (const o of objs) {
          if (o.status !== 'pending') continue;
          void o.ready.then(() => {
            if (--left <= 0) {
              if (timer) clearTimeout(timer);
              resolve();
            }
          });
        }
      });
    }
    // As Ray: at most numReturns refs in the ready list, in the order given; the rest in the other.
    const ready: ObjectRef<T>[] = [];
    const notReady: ObjectRef<T>[] = [];
    objs.forEach((o, i) => (o.status !== 'pending' && ready.length < numReturns ? ready : notReady).push(refs[i]!));
    return [ready, notReady];
  }

  /** Frees the values now, whatever else references them; later gets fail with ObjectFreedError. */
  free(refs: readonly ObjectRef[]): void {
    for (const r of refs) {
      const obj = this.owned(r);
      this.collector.unregister(r);
      obj.pins = 0;
      this.release(obj);
    }
  }

  /**
   * Encodes call arguments: small ones inline, large arrays split out for the callee to pull.
   * Refs inside are returned, so the caller can wait for pending ones and pin them.
   */
  encodeArgs(args: unknown[], what: string): EncodedArgs {
    if (!hasLargeParts(args, this.threshold)) {
      const { result, refs } = collectingRefs(() => encode(args, what));
      return { envelope: result, parts: undefined, refs: refs as OwnedObject[] };
    }
    const { result, refs } = collectingRefs(() => split(args, this.threshold));
    return { envelope: result.envelope, parts: result, refs: refs as OwnedObject[] };
  }

  /** Pins refs for the duration of a call. */
  pin(objs: readonly OwnedObject[]): void {
    for (const o of objs) o.pins++;
  }

  unpin(objs: readonly OwnedObject[]): void {
    for (const o of objs) {
      o.pins = Math.max(0, o.pins - 1);
      if (o.released && o.pins === 0) this.drop(o);
    }
  }

  /** Waits until `obj` settles (bounded by `timeoutMs`), then throws if it failed or was freed. */
  async waitReady(obj: OwnedObject, timeoutMs: number | undefined, op: string): Promise<void> {
    if (obj.status === 'pending') {
      if (timeoutMs === undefined) await obj.ready;
      else {
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          obj.ready.then(() => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
        ]);
        clearTimeout(timer);
        if (timedOut) {
          throw new TimeoutError(`${op} of object ${obj.id}: its value was not ready within ${timeoutMs} ms`, {
            context: { objectId: obj.id },
          });
        }
      }
    }
    if (obj.status === 'failed') throw errorFromInfo(obj.error!);
    if (obj.status === 'freed') throw freedError(obj);
  }

  /** Frees everything this owner holds in this process (remote holders drop theirs when our streams end). */
  close(): void {
    for (const o of this.objects.values()) {
      if (o.status !== 'pending') o.status = 'freed';
      o.where = undefined;
    }
    this.objects.clear();
    this.plane.store.clear();
  }

  stats(): { objects: number } {
    return { objects: this.objects.size };
  }

  private async valueOf(obj: OwnedObject): Promise<unknown> {
    const where = obj.where!;
    if (where.kind === 'inline') return decode(where.envelope, `the value of object ${obj.id}`);
    return this.plane.fetch(where.location, `object ${obj.id}`);
  }

  private owned(ref: unknown): OwnedObject {
    if (!(ref instanceof ObjectRef))
      throw new InvalidArgumentError(`expected an ObjectRef, got ${describe(ref)}`, { context: { field: 'ref' } });
    const obj = ref.state;
    if (!(obj instanceof OwnedObject) || obj.table !== this) {
      throw new InvalidArgumentError(`${ref.toString()} belongs to another cluster handle`, {
        context: { field: 'ref' },
      });
    }
    return obj;
  }

  private release(obj: OwnedObject): void {
    obj.released = true;
    if (obj.pins === 0) this.drop(obj);
  }

  /** Drops the value where it lives. A pending object is dropped when it settles. */
  private drop(obj: OwnedObject): void {
    if (obj.status === 'pending') {
      void obj.ready.then(() => this.drop(obj));
      return;
    }
    this.objects.delete(obj.id);
    const where = obj.where;
    obj.where = undefined;
    obj.status = 'freed';
    if (where?.kind !== 'stored') return;
    if (where.holder === undefined) this.plane.store.delete(obj.id);
    else this.hooks.freeRemote(where.holder, [obj.id]);
  }
}

function freedError(obj: OwnedObject): ObjectFreedError {
  return new ObjectFreedError(`object ${obj.id} was freed: its value is gone`, { context: { objectId: obj.id } });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return v.constructor?.name ?? 'object';
}
