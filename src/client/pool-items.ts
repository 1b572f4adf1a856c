/**
 * The pieces ActorPool is built of: an item on its way through the pool, the signal its
 * iterations wait on, and the small checks and helpers around them (src/client/actor-pool.ts).
 */
import { ActorDiedError, ErrorCode, InvalidArgumentError } from '../common/index.js';
import { fieldError } from '../options/index.js';
import type { ActorHandle } from './actor-handle.js';
import type { ActorClassType } from './types.js';

/** What the pool runs for an item: a call of the actor with the value, e.g. `(a, v) => a.call.step(v)`. */
export type PoolFn<C extends ActorClassType, V, R> = (actor: ActorHandle<C>, value: V) => PromiseLike<R> | R;

export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** One value on its way through the pool, from its queueing to its result. */
export class Item<C extends ActorClassType> {
  outcome: Outcome | undefined;
  /** Order of completion among the pool's settled items (getNextUnordered takes the lowest). */
  seq = 0;
  /** The actors that died while running it, in order. */
  readonly diedOn: string[] = [];
  /** Its map was closed: it is not retried, and nobody reads its result. */
  cancelled = false;
  readonly done: Promise<void>;
  private markDone!: () => void;

  constructor(
    readonly index: number,
    readonly value: unknown,
    readonly fn: PoolFn<C, unknown, unknown>,
    private readonly onSettle: (item: Item<C>) => void,
  ) {
    this.done = new Promise((resolve) => {
      this.markDone = resolve;
    });
  }

  settle(outcome: Outcome): void {
    if (this.outcome) return;
    this.outcome = outcome;
    this.markDone();
    this.onSettle(this);
  }
}

/** Wakes whoever waits at the next `notify`. */
export class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** Whether `error` says that `actor` died (an ActorDiedError about another actor is an ordinary error). */
export function diedOn(error: unknown, actor: ActorHandle<ActorClassType>): boolean {
  const died =
    error instanceof ActorDiedError ||
    (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === ErrorCode.ACTOR_DIED);
  if (!died) return false;
  const about = (error as { context?: { actorId?: unknown } }).context?.actorId;
  return about === undefined || about === actor.id;
}

export function checkFn(fn: unknown): void {
  if (typeof fn !== 'function') throw fieldError('fn', 'a function (actor, value) => promise', fn);
}

export function iteratorOf(values: unknown): Iterator<unknown> | AsyncIterator<unknown> {
  const v = values as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null | undefined;
  if (typeof v?.[Symbol.asyncIterator] === 'function') return (v as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  if (typeof v?.[Symbol.iterator] === 'function') return (v as Iterable<unknown>)[Symbol.iterator]();
  throw fieldError('values', 'an iterable (an array, a generator or an async iterable)', values);
}

/** Ends a source the iteration stopped reading (a generator's `finally` runs); its errors are dropped. */
export function closeQuietly(source: Iterator<unknown> | AsyncIterator<unknown>): void {
  try {
    const ended = source.return?.();
    if (ended && typeof (ended as PromiseLike<unknown>).then === 'function') {
      (ended as PromiseLike<unknown>).then(undefined, () => undefined);
    }
  } catch {
    // A source that fails to close has nothing more to give anyway.
  }
}

export function nothingPending(what: string): InvalidArgumentError {
  return new InvalidArgumentError(`ActorPool.${what}: no submitted item is pending (hasNext() is false)`);
}

export function unwrap(outcome: Outcome): unknown {
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether `p` settles within `ms`; the timer is cleared either way. */
export function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (ms <= 0) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
