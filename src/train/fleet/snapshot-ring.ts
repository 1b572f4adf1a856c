/**
 * The last few weight snapshots an evaluator may read (a copy taken as the version passes a
 * multiple of the snapshot interval), and readers waiting for a newer one. Taking a snapshot
 * never waits for a reader; a slow reader finds the older ones gone and reads the newest.
 */
import type { Snapshot } from './protocol.js';

export class SnapshotRing {
  private readonly kept: Snapshot[] = [];
  private waiting: Array<{ after: number; resolve: (s: Snapshot | null) => void; timer: NodeJS.Timeout }> = [];

  constructor(private readonly capacity: number) {}

  add(s: Snapshot): void {
    this.kept.push(s);
    if (this.kept.length > this.capacity) this.kept.shift();
    const still: typeof this.waiting = [];
    for (const w of this.waiting) {
      if (s.version > w.after) {
        clearTimeout(w.timer);
        w.resolve(s);
      } else still.push(w);
    }
    this.waiting = still;
  }

  /** The newest snapshot with a version above `version`, waiting up to `timeoutMs` for one (null if none came). */
  after(version: number, timeoutMs: number): Promise<Snapshot | null> {
    const newest = this.kept.at(-1);
    if (newest && newest.version > version) return Promise.resolve(newest);
    if (!(timeoutMs > 0)) return Promise.resolve(null);
    return new Promise((resolve) => {
      const entry = {
        after: version,
        resolve,
        timer: setTimeout(
          () => {
            this.waiting = this.waiting.filter((w) => w !== entry);
            resolve(null);
          },
          Math.min(timeoutMs, 600_000),
        ),
      };
      this.waiting.push(entry);
    });
  }

  /** The kept snapshot of exactly `version`, or null when it is not (or no longer) kept. */
  at(version: number): Snapshot | null {
    return this.kept.find((s) => s.version === version) ?? null;
  }

  /** Wakes every waiting reader with null (the run is over). */
  close(): void {
    for (const w of this.waiting) {
      clearTimeout(w.timer);
      w.resolve(null);
    }
    this.waiting = [];
  }
}
