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

/** Counts the connections that have not authenticated yet, by remote address. */
export class Admission {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: Pick<DataPlaneLimits, 'maxUnauthenticated' | 'maxUnauthenticatedPerAddress'>) {}

  /** Counts a new connection from `address` in, or says which cap it is over (then it is not counted). */
  admit(address: string): string | undefined {
    const mine = this.byAddress.get(address) ?? 0;
    // Fixed texts (no counts), so the rate-limited refusal log sums them up as one reason.
    if (mine >= this.limits.maxUnauthenticatedPerAddress) {
      return `the cap of ${this.limits.maxUnauthenticatedPerAddress} connections per address not authenticated yet is reached`;
    }
    if (this.total >= this.limits.maxUnauthenticated) {
      return `the cap of ${this.limits.maxUnauthenticated} connections not authenticated yet is reached`;
    }
    this.byAddress.set(address, mine + 1);
    this.total++;
    return undefined;
  }

  /** A connection admitted from `address` authenticated or closed. */
  release(address: string): void {
    const mine = this.byAddress.get(address) ?? 0;
    if (mine <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, mine - 1);
    this.total--;
  }

  /** Connections admitted and not released. */
  get pending(): number {
    return this.total;
  }
}
