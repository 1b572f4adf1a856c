/**
 * The owner's table of objects (a driver's, or an actor's): every ObjectRef it handed out, where
 * the value is, and how many in-flight calls still need it. The owner lets go of a value when its
 * ref has been released (garbage collected, or `cluster.free`) and no call that carries it is in
 * flight; where it lives, it then goes once no borrower holds it (borrow.ts). Everything goes when
 * the owner shuts down (actor processes drop what they held for it when its stream ends). The
 * table also reads borrowed refs (refs that came inside values) of its process's object plane.
 */
import {
  InvalidArgumentError,
  ObjectFreedError,
  TimeoutError,
  errorToInfo,
  errorFromInfo,
  type ErrorInfo,
} from '../common/index.js';
import { BorrowedObject, countedOf, storedRefsIn } from './borrow.js';
import { encode } from './codec.js';
import { hasLargeParts, DEFAULT_OUT_OF_BAND_BYTES, split, type SplitValue } from './out-of-band.js';
import { ObjectPlane, type ObjectLocation } from './plane.js';
import { ObjectRef, collectingRefs, type RefDescriptor, type RefState, type StoredDescriptor } from './ref.js';

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
  /** An inline value's stored refs (flattened): it holds a count on each while it lives. */
  inner: readonly StoredDescriptor[] = [];
  readonly ready: Promise<void>;
  private markReady!: () => void;

  constructor(
    readonly id: string,
    /** The table that owns it. */
    readonly table: object,
    /** The owner's id, in the descriptor of a stored value. */
    readonly ownerId: string,
  ) {
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  descriptor(): RefDescriptor | undefined {
    if (this.status !== 'ready' || !this.where) return undefined;
    if (this.where.kind === 'inline') return [this.id, 0, this.where.envelope];
    return [this.id, 1, this.where.location.address, this.where.location.size, this.ownerId];
  }

  /**
   * Ready with `where`, or failed with `error`. An inline value with refs inside holds their counts
   * from now on: added by whoever made it (put, or the sender of the result), released when it goes.
   */
  settle(where: Where | undefined, error?: unknown): void {
    if (this.status !== 'pending') return;
    if (where) {
      this.status = 'ready';
      this.where = where;
      if (where.kind === 'inline') this.inner = storedRefsIn(where.envelope);
    } else {
      this.status = 'failed';
      this.error = errorToInfo(error);
    }
    this.markReady();
  }
}

/** A ref's side as the table meets it: an object it owns, or one its plane borrowed. */
export type RefObject = OwnedObject | BorrowedObject;

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
  refs: RefObject[];
}

let ownerSeq = 0;

export class ObjectTable {
  private readonly objects = new Map<string, OwnedObject>();
  private readonly collector = new FinalizationRegistry<OwnedObject>((obj) => this.release(obj));
  private seq = 0;
  private readonly prefix: string;

  constructor(
    readonly plane: ObjectPlane,
    /** Tags what it stores, names it in descriptors and in OwnerDiedError. */
    readonly ownerId: string,
    private readonly threshold = DEFAULT_OUT_OF_BAND_BYTES,
  ) {
    this.prefix = `${ownerId}.${(ownerSeq++).toString(36)}`;
    // The owner gone in this process (an actor killed, its handle closed): its values go, borrowed or not.
    plane.store.whenOwnerGone(ownerId, () => this.close());
  }

  /** A new pending object and the one ref to it. */
  create<T>(): { ref: ObjectRef<T>; obj: OwnedObject } {
    const obj = new OwnedObject(`${this.prefix}.${(this.seq++).toString(36)}`, this, this.ownerId);
    this.objects.set(obj.id, obj);
    const ref = new ObjectRef<T>(obj);
    this.collector.register(ref, obj, ref);
    return { ref, obj };
  }

  /**
   * Keeps a value and returns a ref to it. Refs inside it are kept as refs (each read gives
   * borrowed refs); the value holds a count on each while it lives. Refs not ready yet are waited for.
   */
  async put<T>(value: T): Promise<ObjectRef<T>> {
    const snapshot = (): { result: SplitValue; refs: RefState[] } =>
      collectingRefs(() =>
        hasLargeParts(value, this.threshold)
          ? ObjectPlane.snapshot(value, this.threshold)
          : { envelope: encode(value, 'the value to put'), buffers: [] },
      );
    let { result, refs } = snapshot();
    const within = refs.map((r) => this.stateObject(r, 'value'));
    if (within.some((o) => o.status !== 'ready')) {
      this.pin(within);
      try {
        for (const o of within) await this.waitReady(o, undefined, 'put: a ref inside the value');
        ({ result, refs } = snapshot());
      } finally {
        this.unpin(within);
      }
    }
    const inner = countedOf(refs);
    const { ref, obj } = this.create<T>();
    if (result.buffers.length === 0) {
      this.plane.borrows.add(inner);
      obj.settle({ kind: 'inline', envelope: result.envelope });
    } else {
      await this.plane.address();
      this.plane.borrows.add(inner);
      obj.settle({ kind: 'stored', location: this.plane.hold(obj.id, result, { owner: this.ownerId, inner }) });
    }
    return ref;
  }

  /** The value of a ref this table owns or its plane borrowed; refs inside it come out borrowed. */
  async get<T>(ref: ObjectRef<T>, options: { timeoutMs?: number } = {}): Promise<T> {
    const obj = this.refObject(ref);
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
    const objs = refs.map((r) => this.refObject(r));
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

  /**
   * Lets go of the values now, whatever calls are in flight; later gets of these refs fail with
   * ObjectFreedError. A value still borrowed elsewhere stays there until its borrowers let go; a
   * borrowed ref freed gives up its own count.
   */
  free(refs: readonly ObjectRef[]): void {
    for (const r of refs) {
      const obj = this.refObject(r);
      if (obj instanceof BorrowedObject) {
        obj.borrows.free(r, obj);
        continue;
      }
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
      return { envelope: result, parts: undefined, refs: refs as RefObject[] };
    }
    const { result, refs } = collectingRefs(() => split(args, this.threshold));
    return { envelope: result.envelope, parts: result, refs: refs as RefObject[] };
  }

  /** Pins refs for the duration of a call. */
  pin(objs: readonly RefObject[]): void {
    for (const o of objs) o.pins++;
  }

  unpin(objs: readonly RefObject[]): void {
    for (const o of objs) {
      if (o instanceof BorrowedObject) {
        o.borrows.unpin(o);
        continue;
      }
      o.pins = Math.max(0, o.pins - 1);
      if (o.released && o.pins === 0) this.drop(o);
    }
  }

  /** Waits until `obj` settles (bounded by `timeoutMs`), then throws if it failed or was freed. */
  async waitReady(obj: RefObject, timeoutMs: number | undefined, op: string): Promise<void> {
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

  /**
   * The owner goes: everything it holds in this process goes, borrowed or not (remote holders drop
   * theirs when our streams end), and the counts its inline values held are released.
   */
  close(): void {
    for (const o of this.objects.values()) {
      if (o.status !== 'pending') o.status = 'freed';
      o.where = undefined;
      this.plane.borrows.release(o.inner);
      o.inner = [];
    }
    this.objects.clear();
    this.plane.store.deleteOwner(this.ownerId);
  }

  stats(): { objects: number } {
    return { objects: this.objects.size };
  }

  /** A value read from a container (an owned object, or a borrowed ref's descriptor): its refs add their own counts. */
  private async valueOf(obj: RefObject): Promise<unknown> {
    const what = `object ${obj.id}`;
    const d = obj.descriptor();
    if (!d) throw freedError(obj);
    if (d[1] === 0) return this.plane.decodeValue(d[2], `the value of ${what}`, false);
    return this.plane.fetchValue({ objectId: d[0], address: d[2], size: d[3] }, what, { owner: d[4] });
  }

  /** The table's side of a ref: one it owns, or one its plane borrowed. */
  private refObject(ref: unknown, field = 'ref'): RefObject {
    if (!(ref instanceof ObjectRef))
      throw new InvalidArgumentError(`expected an ObjectRef, got ${describe(ref)}`, { context: { field } });
    return this.stateObject(ref.state, field);
  }

  private stateObject(obj: RefState, field: string): RefObject {
    if (obj instanceof OwnedObject && obj.table === this) return obj;
    if (obj instanceof BorrowedObject && obj.borrows === this.plane.borrows) return obj;
    throw new InvalidArgumentError(`ObjectRef(${obj.id}) belongs to another cluster handle`, { context: { field } });
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
    const d = obj.descriptor();
    obj.where = undefined;
    obj.status = 'freed';
    this.plane.borrows.release(obj.inner);
    obj.inner = [];
    // The owner lets go where the value lives (here, or on its holder's data plane); it goes there
    // once no borrower holds it.
    if (d?.[1] === 1) this.plane.borrows.ownerFree([d]);
  }
}

function freedError(obj: RefObject): ObjectFreedError {
  return new ObjectFreedError(`object ${obj.id} was freed: its value is gone`, { context: { objectId: obj.id } });
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return typeof v;
  return v.constructor?.name ?? 'object';
}
