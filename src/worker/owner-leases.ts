/**
 * Owner leases: the objects a caller owns in this process live while it has a call stream open.
 * When its last stream ends they are dropped at once; when it breaks, after a grace period, so a
 * caller that reconnects keeps them.
 */
import type { Logger } from '../common/index.js';

/** How long a caller's objects outlive its stream breaking, for it to come back. */
const OWNER_GRACE_MS = 10_000;

export class OwnerLeases {
  /** Open Calls streams per owner id, and pending drops of owners whose streams all ended. */
  private readonly owners = new Map<string, { streams: number; drop?: NodeJS.Timeout }>();

  /** `dropOwner` deletes what the owner holds here and says how many objects that was. */
  constructor(
    private readonly dropOwner: (owner: string) => number,
    private readonly log: Logger,
  ) {}

  opened(owner: string): void {
    const o = this.owners.get(owner);
    if (!o) {
      this.owners.set(owner, { streams: 1 });
      return;
    }
    o.streams++;
    if (o.drop) clearTimeout(o.drop);
    o.drop = undefined;
  }

  /** The owner's objects go with its last stream: at once when it ended cleanly, after a grace period when it broke. */
  closed(owner: string, clean: boolean): void {
    const o = this.owners.get(owner);
    if (!o || --o.streams > 0) return;
    const drop = (): void => {
      this.owners.delete(owner);
      const n = this.dropOwner(owner);
      if (n > 0) this.log.debug({ owner, objects: n }, 'dropped the objects of a caller that went away');
    };
    if (clean) drop();
    else {
      o.drop = setTimeout(drop, OWNER_GRACE_MS);
      o.drop.unref();
    }
  }
}
