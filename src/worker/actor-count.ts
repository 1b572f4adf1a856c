/**
 * How many actors exist in the cluster, as a node's processes know it: the last count heard, and
 * a fresh ask when that is too low to be trusted. A collective group of more members than actors
 * can never form, so its open is refused; the count lags (a driver spawns 8 actors and opens a
 * group of 8 at once, before the next heartbeat), so a refusal always rests on a fresh answer.
 */
export class ActorCount {
  private known = 0;
  private inFlight: Promise<number> | undefined;
  private queued: Promise<number> | undefined;

  /** `ask` fetches the count afresh; 0 means the one asked does not know it (no cap). */
  constructor(private readonly ask: () => Promise<number>) {}

  /** The last count heard (0: none yet, or the head does not count). */
  get cached(): number {
    return this.known;
  }

  /** A count pushed by whoever knows it (the head's heartbeat reply, the agent's message). */
  set(count: number): void {
    this.known = count;
  }

  /**
   * A count asked for after this call: callers that come while an ask is in flight share the
   * next one, so there is at most one ask in flight and one waiting, however many opens arrive.
   */
  fresh(): Promise<number> {
    if (!this.inFlight) return this.start();
    this.queued ??= this.inFlight.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /** Whether a group of `size` members may form: a cached count that allows it, or else a fresh one. */
  async allows(size: number): Promise<{ ok: boolean; count: number }> {
    if (size <= this.known) return { ok: true, count: this.known };
    const count = await this.fresh();
    return { ok: count === 0 || size <= count, count };
  }

  private startQueued(): Promise<number> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<number> {
    const p = this.ask()
      .then((n) => {
        this.known = n;
        return n;
      })
      .finally(() => {
        if (this.inFlight === p) this.inFlight = undefined;
      });
    this.inFlight = p;
    return p;
  }
}
