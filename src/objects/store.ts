/**
 * The objects a process holds, by id, and their counts (see borrow.ts for the protocol): an object
 * goes when its owner released it and no borrower holds it, or at once when its owner is gone
 * (`deleteOwner`), whatever is borrowed; the ids that went with a dead owner are remembered
 * (bounded), so a later pull is told the owner died rather than that the id is unknown.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SplitValue } from './out-of-band.js';
import { segments } from './layout.js';
import type { StoredDescriptor } from './ref.js';

/** One object held by this process, ready to be served on its data plane. */
export interface StoredObject {
  readonly id: string;
  /** Owner id of the table (a driver's, an actor's) that made it; its objects go when it goes. */
  readonly owner: string;
  readonly value: SplitValue;
  readonly segments: Uint8Array[];
  readonly size: number;
  /** Dropped as soon as one pull has started (a large result, pulled once by its caller). */
  readonly once: boolean;
  /**
   * The stored refs inside the value, one count held at each one's holder: released when this
   * object goes, except for a pull-once object that was served (its receiver inherited them).
   */
  readonly inner: readonly StoredDescriptor[];
  /** Borrowers holding it (BORROW minus RELEASE). */
  borrows: number;
  /** Its owner let go (freed or collected): it goes once no borrower is left. */
  ownerReleased: boolean;
}

export interface ObjectStoreOptions {
  /** An object went that held counts on the refs inside it: release them. */
  releaseInner?: (inner: readonly StoredDescriptor[]) => void;
}

/** How many ids that went with a dead owner are remembered, and their bytes at most. */
const DEAD_IDS = 65_536;
const DEAD_ID_BYTES = 8 * 1024 * 1024;

export interface ObjectStoreStats {
  objects: number;
  bytes: number;
}

/** Dropping this many bytes of objects asks V8 for a full collection, so the memory really goes. */
const COLLECT_AFTER_BYTES = 32 * 1024 * 1024;

/**
 * A full garbage collection, without exposing `gc` to user code. V8 collects ArrayBuffers only
 * when it collects their owners, and a process that drops a large object and then idles would
 * otherwise keep the memory for an unbounded time.
 */
const collectGarbage: () => void = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
})();

/** The objects a process holds, by id, with the bytes they take. */
export class ObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  /** Id → owner, for ids that went with their dead owner (oldest first, bounded). */
  private readonly dead = new Map<string, string>();
  private deadBytes = 0;
  /** What else goes with an owner when it is gone (its table's own objects, in this process). */
  private readonly ownerGoneHooks = new Map<string, () => void>();
  private bytes = 0;
  private droppedBytes = 0;
  private collectScheduled = false;

  constructor(private readonly options: ObjectStoreOptions = {}) {}

  put(
    id: string,
    value: SplitValue,
    options: { owner: string; once?: boolean; inner?: readonly StoredDescriptor[] },
  ): StoredObject {
    this.delete(id);
    const laid = segments(value);
    const obj: StoredObject = {
      id,
      owner: options.owner,
      value,
      segments: laid.segments,
      size: laid.size,
      once: options.once ?? false,
      inner: options.inner ?? [],
      borrows: 0,
      ownerReleased: false,
    };
    this.objects.set(id, obj);
    this.bytes += laid.size;
    return obj;
  }

  get(id: string): StoredObject | undefined {
    return this.objects.get(id);
  }

  /** The object, for reading here; a pull-once object goes as it is read (its reader inherits its counts). */
  take(id: string): StoredObject | undefined {
    const obj = this.objects.get(id);
    if (obj?.once) this.remove(obj, true);
    return obj;
  }

  /** Drops the object now, whatever holds it. */
  delete(id: string): boolean {
    const obj = this.objects.get(id);
    if (!obj) return false;
    this.remove(obj, false);
    return true;
  }

  /** A count frame's change (see borrow.ts). */
  count(kind: 'BORROW' | 'RELEASE' | 'FREE', ids: readonly string[]): void {
    if (kind === 'BORROW') this.borrow(ids);
    else if (kind === 'RELEASE') this.release(ids);
    else this.ownerFree(ids);
  }

  /** One more borrower of each (unknown ids are ignored: gone, or never here). */
  borrow(ids: readonly string[]): void {
    for (const id of ids) {
      const obj = this.objects.get(id);
      if (obj) obj.borrows++;
    }
  }

  /** One borrower of each let go; an object its owner released goes with its last borrower. */
  release(ids: readonly string[]): void {
    for (const id of ids) {
      const obj = this.objects.get(id);
      if (!obj) continue;
      obj.borrows = Math.max(0, obj.borrows - 1);
      if (obj.ownerReleased && obj.borrows === 0) this.remove(obj, false);
    }
  }

  /** The owner let go of each: it goes now, or when its last borrower lets go. */
  ownerFree(ids: readonly string[]): void {
    for (const id of ids) {
      const obj = this.objects.get(id);
      if (!obj) continue;
      obj.ownerReleased = true;
      if (obj.borrows === 0) this.remove(obj, false);
    }
  }

  /** Runs `fn` once when `owner` is gone here (`deleteOwner`): its table lets go of what it holds. */
  whenOwnerGone(owner: string, fn: () => void): void {
    this.ownerGoneHooks.set(owner, fn);
  }

  /** The owner whose death took this id with it, if it is still remembered. */
  diedWith(id: string): string | undefined {
    return this.dead.get(id);
  }

  private remove(obj: StoredObject, served: boolean): void {
    this.objects.delete(obj.id);
    this.bytes -= obj.size;
    this.dropped(obj.size);
    if (obj.inner.length > 0 && !(served && obj.once)) this.options.releaseInner?.(obj.inner);
  }

  private remember(id: string, owner: string): void {
    this.dead.set(id, owner);
    this.deadBytes += id.length + owner.length;
    while (this.dead.size > DEAD_IDS || this.deadBytes > DEAD_ID_BYTES) {
      const [oldId, oldOwner] = this.dead.entries().next().value as [string, string];
      this.dead.delete(oldId);
      this.deadBytes -= oldId.length + oldOwner.length;
    }
  }

  private dropped(bytes: number): void {
    this.droppedBytes += bytes;
    if (this.droppedBytes < COLLECT_AFTER_BYTES || this.collectScheduled) return;
    this.collectScheduled = true;
    // Later, not now: a pull-once object is still being sent, and several drops come together.
    setTimeout(() => {
      this.collectScheduled = false;
      this.droppedBytes = 0;
      collectGarbage();
    }, 50).unref();
  }

  /**
   * The owner is gone: drops every object of `owner`, borrowed or not, and remembers their ids
   * (a later pull is answered OWNER_DIED naming it); returns how many.
   */
  deleteOwner(owner: string): number {
    const hook = this.ownerGoneHooks.get(owner);
    this.ownerGoneHooks.delete(owner);
    hook?.();
    let n = 0;
    for (const obj of [...this.objects.values()]) {
      if (obj.owner !== owner) continue;
      this.remove(obj, false);
      this.remember(obj.id, owner);
      n++;
    }
    return n;
  }

  clear(): void {
    this.objects.clear();
    this.bytes = 0;
  }

  /** The data plane's provider: the segments to send, dropping pull-once objects as they go. */
  readonly provide = (id: string): Uint8Array[] | undefined => this.take(id)?.segments;

  /** The data plane's `ownerDied`: why a missing id is gone, when its owner died. */
  readonly ownerDied = (id: string): string | undefined => {
    const owner = this.dead.get(id);
    return owner === undefined ? undefined : ownerDiedMessage(id, owner);
  };

  stats(): ObjectStoreStats {
    return { objects: this.objects.size, bytes: this.bytes };
  }
}

/** What a reader of an object whose owner died is told: the owner, by its id. */
export function ownerDiedMessage(id: string, owner: string): string {
  return `object ${id} is lost: its owner ${owner || '(unnamed)'} died (or went away), and its objects went with it`;
}
