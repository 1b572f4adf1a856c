/**
 * Borrowing: refs inside values (put values, call results) come out on the reading side as
 * working ObjectRefs, "borrowed" refs, and the objects they name stay at their holders while any
 * borrower holds them. Ray's ownership and borrowing, simplified: the counts live at the holder.
 *
 * The protocol. A stored object (one on a data plane) has, in its holder's ObjectStore entry, its
 * owner's claim (released by FREE, when the owner's ref is freed or collected) and a borrow count
 * (BORROW adds one, RELEASE takes one away); it goes when the owner released it and no borrow is
 * left, or at once when its owner is gone (`ObjectStore.deleteOwner`, see store.ts). A holder
 * ignores counts for ids it does not hold. Inline refs ([id, 0, envelope]) are counted through the
 * stored refs inside their envelope (flattened: `countedIn`); an inline ref with none needs none.
 *  - A message delivered once (an inline call result, a pull-once large result) carries one count
 *    per stored ref inside it: the SENDER adds it when it encodes the message, before the message
 *    leaves, and the receiver's decoded ObjectRef inherits it (`decodeValue(.., inherit)`).
 *  - A container read any number of times (a stored put value, a result kept with storeAs, an
 *    inline put value or kept result with refs inside) holds one count per ref inside it for as
 *    long as it exists, released when it goes; each decode from it adds the reader's own count.
 *  - A borrowed ObjectRef releases its count when it is garbage collected or freed, or when its
 *    process's object plane closes; while a call carrying it is in flight it is pinned.
 * Every count change a process makes for one holder goes over its one data-plane connection to
 * that holder (the owner's FREE too, rather than on the Calls stream), in the order made: adds at
 * once, releases batched per tick behind them. So one process's add and its own later release
 * (and an owner's add for a result it returns and its later FREE) arrive in order. A holder that
 * is this process applies them to its store directly.
 *
 * The one known window: a release overtaking an add sent by ANOTHER process on another
 * connection. A sender adds a count for a result on its connection to the holder; the receiver
 * may get the result, drop the ref and send its RELEASE on its own connection before the add has
 * arrived (the sender's connection was still being dialed, say). If that RELEASE took the last
 * count of an object its owner had released, the object goes while the sender's late add, and any
 * other borrower, still stand on it; readers then get ObjectFreedError. The same holds for a
 * container's count released while a reader's add from it is on the way. Also left open: a
 * borrower that dies without releasing keeps its counts until the object's owner goes; a message
 * lost on the way (a broken stream) keeps the counts its sender added.
 */
import { ObjectFreedError, errorToInfo, type ErrorInfo } from '../common/index.js';
import { MAX_OBJECT_ID_BYTES, type CountKind as CountType, type DataPlaneClient } from '../transport/index.js';
import { decode } from './codec.js';
import {
  ObjectRef,
  decodingRefsWith,
  type NotReady,
  type RefDescriptor,
  type RefState,
  type StoredDescriptor,
} from './ref.js';
import type { ObjectStore } from './store.js';

/** What the counts need from their process's object plane. */
export interface BorrowHost {
  readonly store: ObjectStore;
  readonly client: DataPlaneClient;
  /** This process's data-plane address, if its server is up. */
  localAddress(): string | undefined;
}

/** A borrowed ref's side: a descriptor fixed when it was decoded, and the counts it holds. */
export class BorrowedObject implements RefState {
  status: 'ready' | 'failed' | 'freed' = 'ready';
  readonly error: ErrorInfo | undefined;
  readonly ready: Promise<void> = Promise.resolve();
  /** In-flight calls that carry this ref as an argument. */
  pins = 0;
  /** No ObjectRef to it is left (collected or freed). */
  released = false;
  /** The stored refs it holds a count on (itself, or those inside its inline value). */
  readonly counted: readonly StoredDescriptor[];
  readonly id: string;

  constructor(
    private readonly d: RefDescriptor | NotReady,
    readonly borrows: Borrows,
  ) {
    this.id = d[0];
    if (d[1] === -1) {
      this.status = 'failed';
      this.error = errorToInfo(
        new ObjectFreedError(`object ${d[0]} was not ready or no longer existed when it was sent`, {
          context: { objectId: d[0] },
        }),
      );
      this.counted = [];
    } else {
      this.error = undefined;
      this.counted = countedIn(d);
    }
  }

  descriptor(): RefDescriptor | undefined {
    return this.status === 'ready' && this.d[1] !== -1 ? this.d : undefined;
  }
}

/** The counts one process (one object plane) sends, and the refs it borrowed. */
export class Borrows {
  /** Releases and frees waiting for the end of the tick, per holder address, in order. */
  private readonly queued = new Map<string, Array<{ type: CountType; ids: string[] }>>();
  private flushScheduled = false;
  /** Borrowed objects that hold counts (released all at once when the plane closes). */
  private readonly live = new Set<BorrowedObject>();
  private readonly collector = new FinalizationRegistry<BorrowedObject>((obj) => this.collected(obj));
  private closed = false;

  constructor(private readonly host: BorrowHost) {}

  /** A borrowed ref for a descriptor decoded from a value; `inherit`: the sender already added its counts. */
  borrowed(d: RefDescriptor | NotReady, inherit: boolean): ObjectRef {
    const obj = new BorrowedObject(d, this);
    const ref = new ObjectRef(obj);
    if (obj.counted.length > 0) {
      if (!inherit) this.add(obj.counted);
      this.live.add(obj);
      this.collector.register(ref, obj, ref);
    }
    return ref;
  }

  /** Lets go of a borrowed ref now (its later gets fail with ObjectFreedError). */
  free(ref: ObjectRef, obj: BorrowedObject): void {
    this.collector.unregister(ref);
    obj.status = 'freed';
    obj.pins = 0;
    this.collected(obj);
  }

  /** A call that carried it is over: its count goes if its ref went meanwhile. */
  unpin(obj: BorrowedObject): void {
    obj.pins = Math.max(0, obj.pins - 1);
    if (obj.released && obj.pins === 0) this.drop(obj);
  }

  /** One count more at each one's holder (sent at once). */
  add(ds: readonly StoredDescriptor[]): void {
    this.send('BORROW', ds);
  }

  /** One count less at each one's holder. */
  release(ds: readonly StoredDescriptor[]): void {
    this.send('RELEASE', ds);
  }

  /** The owner lets go of these objects at their holders. */
  ownerFree(ds: readonly StoredDescriptor[]): void {
    this.send('FREE', ds);
  }

  /** Releases every count still held and sends what is queued (the plane is closing). */
  close(): void {
    if (this.closed) return;
    for (const obj of this.live) this.release(obj.counted);
    this.live.clear();
    this.flush();
    this.closed = true;
  }

  private collected(obj: BorrowedObject): void {
    obj.released = true;
    if (obj.pins === 0) this.drop(obj);
  }

  private drop(obj: BorrowedObject): void {
    if (!this.live.delete(obj)) return;
    this.release(obj.counted);
  }

  private send(type: CountType, ds: readonly StoredDescriptor[]): void {
    if (this.closed || ds.length === 0) return;
    const local = this.host.localAddress();
    const byHolder = new Map<string, string[]>();
    for (const d of ds) {
      // No holder keeps such an id (a forged descriptor): nothing to count.
      if (Buffer.byteLength(d[0], 'utf8') > MAX_OBJECT_ID_BYTES) continue;
      if (d[2] === local) {
        this.host.store.count(type, [d[0]]);
        continue;
      }
      let ids = byHolder.get(d[2]);
      if (!ids) byHolder.set(d[2], (ids = []));
      ids.push(d[0]);
    }
    for (const [address, ids] of byHolder) {
      let q = this.queued.get(address);
      if (!q) this.queued.set(address, (q = []));
      const last = q[q.length - 1];
      if (last?.type === type) last.ids.push(...ids);
      else q.push({ type, ids });
      // Adds go at once (behind what is queued for that holder), so they lead the message they count for.
      if (type === 'BORROW') this.flushTo(address);
    }
    if (!this.flushScheduled && this.queued.size > 0) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const address of [...this.queued.keys()]) this.flushTo(address);
  }

  private flushTo(address: string): void {
    const q = this.queued.get(address);
    this.queued.delete(address);
    for (const { type, ids } of q ?? []) {
      try {
        this.host.client.count(address, type, ids);
      } catch {
        // A count that cannot be sent is lost like one on a broken connection (ids were checked above).
      }
    }
  }
}

/** Inline envelopes already scanned, and the stored refs inside each (flattened). */
const scanned = new WeakMap<Uint8Array, readonly StoredDescriptor[]>();

/** The stored refs a holder of `d` counts on: `d` itself when stored; those inside its value when inline. */
export function countedIn(d: RefDescriptor, depth = 0): readonly StoredDescriptor[] {
  if (d[1] === 1) return [d];
  return storedRefsIn(d[2], depth);
}

/** The stored refs inside an encoded value, looking through inline refs (which hold no count of their own). */
export function storedRefsIn(envelope: Uint8Array, depth = 0): readonly StoredDescriptor[] {
  const known = scanned.get(envelope);
  if (known) return known;
  if (depth > 64 || !mayHoldRefs(envelope)) return [];
  const found: RefDescriptor[] = [];
  try {
    decodingRefsWith(
      (d) => {
        if (d[1] !== -1) found.push(d);
        return null;
      },
      () => decode(envelope),
    );
  } catch {
    return []; // not a value we can read: whoever decodes it meets the error
  }
  const out = found.flatMap((d) => countedIn(d, depth + 1));
  scanned.set(envelope, out);
  return out;
}

/** The stored refs a message counts on, for the refs met while encoding it (in order, repeats kept). */
export function countedOf(states: readonly RefState[]): StoredDescriptor[] {
  const out: StoredDescriptor[] = [];
  for (const s of states) {
    const d = s.descriptor();
    if (d) out.push(...countedIn(d));
  }
  return out;
}

/**
 * Whether msgpack bytes may hold the ObjectRef extension (type 42): a cheap look for its headers
 * (fixext 1-16, ext 8/16/32), so values without refs are not decoded to find none.
 */
function mayHoldRefs(b: Uint8Array): boolean {
  for (let i = b.indexOf(0x2a, 1); i !== -1; i = b.indexOf(0x2a, i + 1)) {
    const p = b[i - 1]!;
    if (p >= 0xd4 && p <= 0xd8) return true;
    if ((i >= 2 && b[i - 2] === 0xc7) || (i >= 3 && b[i - 3] === 0xc8) || (i >= 5 && b[i - 5] === 0xc9)) return true;
  }
  return false;
}
