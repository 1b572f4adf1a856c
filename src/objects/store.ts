import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SplitValue } from './out-of-band.js';
import { segments } from './layout.js';

/** One object held by this process, ready to be served on its data plane. */
export interface StoredObject {
  readonly id: string;
  /** Owner id of the driver that references it; its objects go when it goes. */
  readonly owner: string;
  readonly value: SplitValue;
  readonly segments: Uint8Array[];
  readonly size: number;
  /** Dropped as soon as one pull has started (a large result, pulled once by its caller). */
  readonly once: boolean;
}

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
  private bytes = 0;
  private droppedBytes = 0;
  private collectScheduled = false;

  put(id: string, value: SplitValue, options: { owner: string; once?: boolean }): StoredObject {
    this.delete(id);
    const laid = segments(value);
    const obj: StoredObject = {
      id,
      owner: options.owner,
      value,
      segments: laid.segments,
      size: laid.size,
      once: options.once ?? false,
    };
    this.objects.set(id, obj);
    this.bytes += laid.size;
    return obj;
  }

  get(id: string): StoredObject | undefined {
    return this.objects.get(id);
  }

  delete(id: string): boolean {
    const obj = this.objects.get(id);
    if (!obj) return false;
    this.objects.delete(id);
    this.bytes -= obj.size;
    this.dropped(obj.size);
    return true;
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

  /** Drops every object of `owner`; returns how many. */
  deleteOwner(owner: string): number {
    let n = 0;
    for (const obj of this.objects.values()) if (obj.owner === owner && this.delete(obj.id)) n++;
    return n;
  }

  clear(): void {
    this.objects.clear();
    this.bytes = 0;
  }

  /** The data plane's provider: the segments to send, dropping pull-once objects as they go. */
  readonly provide = (id: string): Uint8Array[] | undefined => {
    const obj = this.objects.get(id);
    if (!obj) return undefined;
    if (obj.once) this.delete(id);
    return obj.segments;
  };

  stats(): ObjectStoreStats {
    return { objects: this.objects.size, bytes: this.bytes };
  }
}
