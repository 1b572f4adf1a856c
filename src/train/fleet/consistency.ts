/**
 * A parameter shard's update policies (BSP, SSP, async) as a pure class: it decides when a pushed
 * gradient is applied and when the push is answered. No actor and no tensors: `apply` is called,
 * one at a time, with each update to make; waits are promises with timers.
 *
 * BSP: step `version` waits for one gradient of clock `version` from each active trainer, or the first
 * `policy.trainers` of them when backup workers run more. The update is the samples-weighted mean of
 * the step's gradients (the gradient of the mean loss over the combined batch); gradients with 0
 * samples count for the barrier but add nothing. A step of only 0-sample gradients applies no update
 * but still advances the version (chosen so that every trainer's clock stays equal to the version).
 * A gradient of an older clock is dropped (accepted: false); one of a future clock (its trainer a step
 * ahead on another shard) is held until the version reaches it.
 * SSP: applied on arrival; answered once the slowest active trainer's clock ≥ new clock − staleness.
 * Async: applied on arrival, answered at once; staleness = version at apply − readVersion.
 */
import { InvalidArgumentError, TimeoutError } from '../../common/index.js';
import type { PushRequest, UpdatePolicy } from './protocol.js';

/** A pushed gradient: the push request as it came off the wire. */
export type Gradient = PushRequest;

/** One update to apply: the (weighted mean) gradient, the samples behind it and their mean loss. */
export interface Update {
  grad: Float32Array;
  samples: number;
  loss: number;
}

export interface PushOutcome {
  accepted: boolean;
  version: number;
  clock: number;
}

interface Waiter {
  trainer: number;
  since: number;
  timer: NodeJS.Timeout;
  resolve: (o: PushOutcome) => void;
  reject: (e: Error) => void;
}

interface BspArrival extends Waiter {
  g: Gradient;
}

interface SspWaiter extends Waiter {
  clock: number;
}

interface HeldPush extends Waiter {
  g: Gradient;
}

const MAX_READS = 100_000;

export class Consistency {
  readonly policy: UpdatePolicy;
  readonly trainers: number;
  readonly timeoutMs: number;
  version = 0;
  samples = 0;
  /** Per trainer: its clock, -1 before it joined. */
  readonly clocks: number[];
  readonly active = new Set<number>();
  readonly staleness: number[] = [];
  readonly waitMs: number[];
  readonly waits: number[];
  readonly reads: Array<[number, number, number]> = [];
  readonly losses: Array<[number, number, number]> = [];
  dropped = 0;

  #apply: (u: Update) => Promise<void> | void;
  #chain: Promise<void> = Promise.resolve();
  #arrivals = new Map<number, BspArrival>();
  #held: HeldPush[] = [];
  #ssp: SspWaiter[] = [];

  constructor(policy: UpdatePolicy, trainers: number, timeoutMs: number, apply: (u: Update) => Promise<void> | void) {
    this.policy = policy;
    this.trainers = trainers;
    this.timeoutMs = timeoutMs;
    this.#apply = apply;
    this.clocks = new Array<number>(trainers).fill(-1);
    this.waitMs = new Array<number>(trainers).fill(0);
    this.waits = new Array<number>(trainers).fill(0);
  }

  /** Joins (or rejoins after a restart) trainer t at the current clock. */
  join(t: number): { clock: number; version: number } {
    this.#checkTrainer(t);
    let clock: number;
    if (this.policy.mode === 'bsp') clock = this.version;
    else {
      const others = [...this.active].filter((o) => o !== t).map((o) => this.clocks[o]!);
      clock = others.length > 0 ? Math.min(...others) : Math.max(this.clocks[t]!, 0);
    }
    this.clocks[t] = clock;
    this.active.add(t);
    this.#recheck();
    return { clock, version: this.version };
  }

  /** Trainer t takes no further part: barriers and the SSP minimum stop waiting for it. */
  leave(t: number): void {
    this.#checkTrainer(t);
    this.active.delete(t);
    this.#recheck();
  }

  /** The slowest active trainer's clock (Infinity when none is active). */
  minClock(): number {
    let m = Number.POSITIVE_INFINITY;
    for (const t of this.active) m = Math.min(m, this.clocks[t]!);
    return m;
  }

  push(g: Gradient): Promise<PushOutcome> {
    this.#checkTrainer(g.trainer);
    if (!this.active.has(g.trainer)) {
      throw new InvalidArgumentError(`trainer ${g.trainer} pushed without joining`, { context: { field: 'trainer' } });
    }
    if (this.policy.mode === 'bsp') return this.#bsp(g);
    if (g.clock !== this.clocks[g.trainer]) {
      throw new InvalidArgumentError(
        `trainer ${g.trainer} pushed clock ${g.clock}, its clock is ${this.clocks[g.trainer]}`,
        { context: { field: 'clock' } },
      );
    }
    return this.#onArrival(g);
  }

  // --- BSP -----------------------------------------------------------------------------------

  #bsp(g: Gradient): Promise<PushOutcome> {
    const since = Date.now();
    if (g.clock < this.version) {
      this.dropped++;
      this.clocks[g.trainer] = this.version;
      this.#waited(g.trainer, since);
      return Promise.resolve({ accepted: false, version: this.version, clock: this.version });
    }
    if (this.#arrivals.has(g.trainer) && g.clock === this.version) {
      throw new InvalidArgumentError(`trainer ${g.trainer} pushed twice for step ${g.clock}`, {
        context: { field: 'clock' },
      });
    }
    return new Promise((resolve, reject) => {
      if (g.clock > this.version) {
        const h: HeldPush = {
          g,
          trainer: g.trainer,
          since,
          resolve,
          reject,
          timer: setTimeout(() => {
            this.#held = this.#held.filter((x) => x !== h);
            reject(
              new TimeoutError(
                `BSP push of trainer ${g.trainer} for step ${g.clock} waited ${this.timeoutMs} ms: the shard is at step ${this.version}`,
              ),
            );
          }, this.timeoutMs),
        };
        this.#held.push(h);
        return;
      }
      const step = this.version;
      const a: BspArrival = {
        g,
        trainer: g.trainer,
        since,
        resolve,
        reject,
        timer: setTimeout(() => {
          if (this.version !== step || this.#arrivals.get(g.trainer) !== a) return;
          this.#arrivals.delete(g.trainer);
          const late = [...this.active].filter((t) => !this.#arrivals.has(t) && t !== g.trainer).sort((x, y) => x - y);
          reject(
            new TimeoutError(
              `BSP step ${step} waited ${this.timeoutMs} ms for the gradients of trainers ${late.join(', ')}`,
            ),
          );
        }, this.timeoutMs),
      };
      this.#arrivals.set(g.trainer, a);
      this.#bspCheck();
    });
  }

  #needed(): number {
    if (this.policy.mode !== 'bsp') return 0;
    return Math.max(1, Math.min(this.policy.trainers, this.active.size));
  }

  #bspCheck(): void {
    if (this.#arrivals.size === 0 || this.#arrivals.size < this.#needed()) return;
    const step = [...this.#arrivals.values()];
    this.#arrivals.clear();
    for (const a of step) clearTimeout(a.timer);
    const total = step.reduce((s, a) => s + a.g.samples, 0);
    this.version++;
    const version = this.version;
    for (const a of step) this.clocks[a.trainer] = version;
    const run = async () => {
      if (total > 0) {
        const n = step[0]!.g.grad.length;
        const mean = new Float32Array(n);
        let loss = 0;
        for (const a of step) {
          if (a.g.samples === 0) continue;
          const w = a.g.samples / total;
          for (let i = 0; i < n; i++) mean[i]! += w * a.g.grad[i]!;
          loss += w * a.g.loss;
        }
        await this.#apply({ grad: mean, samples: total, loss });
        this.samples += total;
        this.losses.push([version, this.samples, loss]);
      }
      for (const a of step)
        this.staleness[version - 1 - a.g.readVersion] = (this.staleness[version - 1 - a.g.readVersion] ?? 0) + 1;
    };
    const done = this.#serial(run);
    done.then(
      () => {
        for (const a of step) {
          this.#waited(a.trainer, a.since);
          a.resolve({ accepted: true, version, clock: version });
        }
      },
      (e: Error) => {
        for (const a of step) a.reject(e);
      },
    );
    // Held pushes of the new step join it now.
    const ready = this.#held.filter((h) => h.g.clock <= this.version);
    this.#held = this.#held.filter((h) => h.g.clock > this.version);
    for (const h of ready) {
      clearTimeout(h.timer);
      this.#bsp(h.g).then(h.resolve, h.reject);
    }
  }

  // --- SSP and async ---------------------------------------------------------------------------

  async #onArrival(g: Gradient): Promise<PushOutcome> {
    const since = Date.now();
    const clock = g.clock + 1;
    this.clocks[g.trainer] = clock;
    const version = await this.#serial(async () => {
      // A push of no samples (its trainer found no batch: they are all out) only moves its clock on.
      if (g.samples === 0) return this.version;
      const stale = this.version - g.readVersion;
      await this.#apply({ grad: g.grad, samples: g.samples, loss: g.loss });
      this.samples += g.samples;
      this.version++;
      this.staleness[stale] = (this.staleness[stale] ?? 0) + 1;
      this.losses.push([this.version, this.samples, g.loss]);
      return this.version;
    });
    this.#recheck();
    if (this.policy.mode === 'async') {
      this.#waited(g.trainer, since);
      return { accepted: true, version, clock };
    }
    const staleness = this.policy.mode === 'ssp' ? this.policy.staleness : 0;
    await new Promise<void>((resolve, reject) => {
      const w: SspWaiter = {
        trainer: g.trainer,
        clock,
        since,
        resolve: () => resolve(),
        reject,
        timer: setTimeout(() => {
          this.#ssp = this.#ssp.filter((x) => x !== w);
          const slow = [...this.active].filter((t) => this.clocks[t]! < clock - staleness);
          const who = slow.map((t) => `trainer ${t} is at clock ${this.clocks[t]}`).join(', ');
          reject(
            new TimeoutError(
              `trainer ${g.trainer} at clock ${clock} waited ${this.timeoutMs} ms: ${who} (staleness ${staleness})`,
            ),
          );
        }, this.timeoutMs),
      };
      this.#ssp.push(w);
      this.#recheck();
    });
    this.#waited(g.trainer, since);
    return { accepted: true, version: this.version, clock };
  }

  #recheck(): void {
    if (this.policy.mode === 'bsp') {
      this.#bspCheck();
      return;
    }
    const policy = this.policy;
    if (policy.mode !== 'ssp') return;
    const s = policy.staleness;
    const min = this.minClock();
    const go = this.#ssp.filter((w) => min >= w.clock - s);
    this.#ssp = this.#ssp.filter((w) => !(min >= w.clock - s));
    for (const w of go) {
      clearTimeout(w.timer);
      if (this.reads.length < MAX_READS) this.reads.push([w.trainer, w.clock, Number.isFinite(min) ? min : w.clock]);
      w.resolve({ accepted: true, version: this.version, clock: w.clock });
    }
  }

  #serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(f);
    this.#chain = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  }

  #waited(t: number, since: number): void {
    this.waitMs[t]! += Date.now() - since;
    this.waits[t]!++;
  }

  #checkTrainer(t: number): void {
    if (!Number.isInteger(t) || t < 0 || t >= this.trainers) {
      throw new InvalidArgumentError(`trainer must be an integer in 0..${this.trainers - 1}, got ${String(t)}`, {
        context: { field: 'trainer' },
      });
    }
  }
}
