/**
 * What a data-plane server grants peers that have not proved they hold the token: a deadline for
 * the whole HELLO, and a bounded number of such connections, in all and per remote address. A peer
 * past either cap is closed at once, so idle or slow unauthenticated sockets can neither exhaust
 * the host's file descriptors nor starve the callers that do hold the token.
 */
import { InvalidArgumentError } from '../../common/index.js';

export interface DataPlaneLimits {
  /** The whole HELLO must arrive and check out within this many ms of the connection. Default 10 000. */
  helloTimeoutMs: number;
  /**
   * An authenticated connection with no transfer in flight and no complete frame for this long is
   * closed (the client dials again on its next pull). Default 300 000.
   */
  idleTimeoutMs: number;
  /** Most connections not yet authenticated, from all addresses together. Default 256. */
  maxUnauthenticated: number;
  /** Most connections not yet authenticated from one remote address. Default 32. */
  maxUnauthenticatedPerAddress: number;
}

export const DEFAULT_DATA_PLANE_LIMITS: Readonly<DataPlaneLimits> = {
  helloTimeoutMs: 10_000,
  idleTimeoutMs: 300_000,
  maxUnauthenticated: 256,
  maxUnauthenticatedPerAddress: 32,
};

/** The defaults with `given` over them, each checked to be a positive integer. */
export function dataPlaneLimits(given: Partial<DataPlaneLimits> = {}): DataPlaneLimits {
  const limits = { ...DEFAULT_DATA_PLANE_LIMITS, ...given };
  for (const [field, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new InvalidArgumentError(`data-plane limit ${field} must be a positive integer, got ${value}`, {
        context: { field },
      });
    }
  }
  return limits;
}

/** A connection counted by Admission: what it does when dropped to make room. */
export interface Pending {
  evict(reason: string): void;
}

/**
 * The connections that have not authenticated yet, by remote address. Past the cap per address a
 * new one is refused. Past the cap for the host, a new one from an address holding fewer than the
 * address holding the most takes the place of that address's oldest: so peers flooding from many
 * addresses cannot lock out one that dials from its own (it needs its place only for one round
 * trip), and whatever they do, no more than the cap is held.
 */
export class Admission {
  private readonly byAddress = new Map<string, Set<Pending>>();
  private total = 0;
  private peak = 0;

  constructor(private readonly limits: Pick<DataPlaneLimits, 'maxUnauthenticated' | 'maxUnauthenticatedPerAddress'>) {}

  /** Counts `conn` from `address` in, or says which cap it is over (then it is not counted). */
  admit(address: string, conn: Pending): string | undefined {
    const { maxUnauthenticated, maxUnauthenticatedPerAddress } = this.limits;
    const mine = this.byAddress.get(address)?.size ?? 0;
    // Fixed texts (no counts), so the rate-limited refusal log sums them up as one reason.
    if (mine >= maxUnauthenticatedPerAddress) {
      return `the cap of ${maxUnauthenticatedPerAddress} connections per address not authenticated yet is reached`;
    }
    if (this.total >= maxUnauthenticated) {
      const [heaviest, theirs] = this.heaviest();
      if (theirs === undefined || theirs.size <= mine) {
        return `the cap of ${maxUnauthenticated} connections not authenticated yet is reached`;
      }
      const oldest = theirs.values().next().value as Pending;
      this.release(heaviest, oldest);
      oldest.evict(
        `dropped for a newer connection: the cap of ${maxUnauthenticated} not authenticated yet was reached`,
      );
    }
    let set = this.byAddress.get(address);
    if (!set) this.byAddress.set(address, (set = new Set()));
    set.add(conn);
    this.total++;
    this.peak = Math.max(this.peak, this.total);
    return undefined;
  }

  /** `conn` authenticated or closed (a second release, or one of a connection never admitted, does nothing). */
  release(address: string, conn: Pending): void {
    const set = this.byAddress.get(address);
    if (!set?.delete(conn)) return;
    if (set.size === 0) this.byAddress.delete(address);
    this.total--;
  }

  /** Connections counted now. */
  get pending(): number {
    return this.total;
  }

  /** The most connections ever counted at once. */
  get peakPending(): number {
    return this.peak;
  }

  private heaviest(): [string, Set<Pending> | undefined] {
    let best: [string, Set<Pending> | undefined] = ['', undefined];
    for (const entry of this.byAddress) if (entry[1].size > (best[1]?.size ?? 0)) best = entry;
    return best;
  }
}
