/**
 * ActorPool: a set of actors that work through items, as Ray's `ray.util.ActorPool`. Each actor
 * runs at most one item at a time; an item goes to the next actor that frees, and waits in the
 * pool's queue while every actor is busy. `map` and `mapUnordered` run an iterable through the pool;
 * `submit` with `getNext` / `getNextUnordered` do it one item at a time. An item whose actor dies
 * (ActorDiedError) is retried once on another actor, and the dead actor leaves the pool.
 */
import { z } from 'zod';
import { ActorDiedError, InvalidArgumentError, TimeoutError, TroupeError } from '../common/index.js';
import { checkOptions, field, fieldError, type Fields } from '../options/index.js';
import { ActorHandle } from './actor-handle.js';
import {
  checkFn,
  closeQuietly,
  diedOn,
  Item,
  iteratorOf,
  messageOf,
  nothingPending,
  settlesWithin,
  Signal,
  unwrap,
  type Outcome,
  type PoolFn,
} from './pool-items.js';
import type { ActorClassType } from './types.js';

export type { PoolFn } from './pool-items.js';

/** Options of `getNext` and `getNextUnordered`. */
export interface GetNextOptions {
  /** How long to wait for a result, in ms; default no limit. On timeout the result is kept for a later call. */
  timeoutMs?: number;
}

const GET_NEXT_FIELDS: Fields<GetNextOptions> = { timeoutMs: field(z.number().min(0), 'a number >= 0') };

/**
 * A pool of actors of one class that share out items, one in flight per actor, as Ray's
 * `ray.util.ActorPool`:
 *
 *   const pool = new ActorPool([a, b, c]);
 *   for await (const y of pool.map((actor, x) => actor.call.step(x), [1, 2, 3, 4])) console.log(y);
 *
 * An item goes to the next actor that frees (the one idle longest); while every actor is busy it
 * waits in the pool's queue. When `fn`'s promise rejects with ActorDiedError for the actor it ran on,
 * that actor leaves the pool and the item is retried once on another actor; if that one dies too, or
 * no actor is left, the item's result is an ActorDiedError naming the actors (`context.actorIds`) and
 * the item's index (`context.index`), with the last death as `cause`. When the last actor dies, the
 * items still waiting fail the same way. Any other rejection (the method threw) is the item's result
 * as it is, not retried, and the actor stays.
 */
export class ActorPool<C extends ActorClassType, R = unknown> {
  /** Every actor of the pool, busy or idle, by id. */
  private readonly members = new Map<string, ActorHandle<C>>();
  /** The free actors, the one idle longest first. */
  private readonly idle: ActorHandle<C>[] = [];
  /** Items waiting for a free actor, first to go first. */
  private readonly queue: Item<C>[] = [];
  /** Actors that died in the pool, in the order they did. */
  private readonly dead: string[] = [];
  /** `submit`'s items not yet taken by getNext / getNextUnordered, in submit order. */
  private readonly submitted: Item<C>[] = [];
  private readonly submittedSettled = new Signal();
  private submitCount = 0;
  private settleCount = 0;

  /**
   * A pool of the given actors (an empty array gives an empty pool to `push` actors into).
   * @throws InvalidArgumentError when `actors` is not an array, or an element is no actor handle or
   *   repeats an actor; `field` names it (`actors`, `actors[2]`).
   */
  constructor(actors: readonly ActorHandle<C>[]) {
    if (!Array.isArray(actors)) throw fieldError('actors', 'an array of actor handles', actors);
    actors.forEach((actor, i) => this.add(actor, `actors[${i}]`));
  }

  /** How many actors the pool holds, busy or idle. */
  get size(): number {
    return this.members.size;
  }

  /**
   * Runs `fn(actor, value)` for each value, one item per free actor, and yields the results in the
   * order of the values (a slow item holds back the results after it, not the work). Values are
   * taken from `values` (an array, a generator, an async iterable) as actors free up, never more at
   * once than the pool has actors. An item that failed is thrown at its place; the iteration then
   * ends and its items not yet started are dropped, as they are when the loop breaks early. Items
   * share the actors and the queue with `submit`, but the results are this iteration's own.
   * @throws InvalidArgumentError (at once) when `fn` is no function or `values` is not iterable.
   */
  map<V, T>(fn: PoolFn<C, V, T>, values: Iterable<V> | AsyncIterable<V>): AsyncIterableIterator<T> {
    checkFn(fn);
    return this.stream(fn as PoolFn<C, unknown, T>, iteratorOf(values), true, 'map');
  }

  /** As `map`, but yields each result as soon as its item completes: in completion order. */
  mapUnordered<V, T>(fn: PoolFn<C, V, T>, values: Iterable<V> | AsyncIterable<V>): AsyncIterableIterator<T> {
    checkFn(fn);
    return this.stream(fn as PoolFn<C, unknown, T>, iteratorOf(values), false, 'mapUnordered');
  }

  /**
   * Runs `fn(actor, value)` on the next free actor, or queues it until one frees. Its result is
   * taken with `getNext` (in submit order) or `getNextUnordered`.
   * @throws InvalidArgumentError when `fn` is no function.
   */
  submit<V>(fn: PoolFn<C, V, R>, value: V): void {
    checkFn(fn);
    const item = new Item<C>(this.submitCount++, value, fn as PoolFn<C, unknown, unknown>, (settled) => {
      settled.seq = ++this.settleCount;
      this.submittedSettled.notify();
    });
    this.submitted.push(item);
    this.enqueue(item);
  }

  /** Whether a submitted item's result is still to be taken (running, queued or done). */
  hasNext(): boolean {
    return this.submitted.length > 0;
  }

  /**
   * The result of the oldest submitted item not yet taken, once it completes; rejects with the
   * item's error if it failed.
   * @throws TimeoutError when it has not completed within `timeoutMs`; the result is kept for the
   *   next getNext. InvalidArgumentError when nothing is pending (`hasNext()` is false).
   */
  async getNext(options?: GetNextOptions): Promise<R> {
    const { timeoutMs } = checkOptions(options, GET_NEXT_FIELDS, { what: 'getNext' });
    const item = this.submitted.shift();
    if (!item) throw nothingPending('getNext');
    if (!item.outcome && timeoutMs !== undefined && !(await settlesWithin(item.done, timeoutMs))) {
      this.putBack(item);
      throw new TimeoutError(
        `ActorPool.getNext: item ${item.index} has no result after ${timeoutMs} ms; it is kept for the next getNext`,
        { context: { index: String(item.index) } },
      );
    }
    await item.done;
    return unwrap(item.outcome!) as R;
  }

  /**
   * The result of whichever submitted item completes first (or completed first, among those not yet
   * taken); rejects with the item's error if it failed.
   * @throws TimeoutError when none completes within `timeoutMs`; nothing is taken. InvalidArgumentError
   *   when nothing is pending (`hasNext()` is false).
   */
  async getNextUnordered(options?: GetNextOptions): Promise<R> {
    const { timeoutMs } = checkOptions(options, GET_NEXT_FIELDS, { what: 'getNextUnordered' });
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      if (this.submitted.length === 0) throw nothingPending('getNextUnordered');
      let first: Item<C> | undefined;
      for (const item of this.submitted) if (item.outcome && (!first || item.seq < first.seq)) first = item;
      if (first) {
        this.submitted.splice(this.submitted.indexOf(first), 1);
        return unwrap(first.outcome!) as R;
      }
      const settled = this.submittedSettled.wait();
      if (deadline === undefined) await settled;
      else if (!(await settlesWithin(settled, deadline - Date.now()))) {
        throw new TimeoutError(
          `ActorPool.getNextUnordered: none of the ${this.submitted.length} pending items completed within ${timeoutMs} ms; they are kept for a later call`,
        );
      }
    }
  }

  /** Whether an actor is free and no item waits: a submit now would start at once. */
  hasFree(): boolean {
    return this.idle.length > 0 && this.queue.length === 0;
  }

  /** Takes a free actor out of the pool and returns it; undefined when `hasFree()` is false. */
  popIdle(): ActorHandle<C> | undefined {
    if (!this.hasFree()) return undefined;
    const actor = this.idle.pop()!;
    this.members.delete(actor.id);
    return actor;
  }

  /**
   * Adds an actor to the pool as a free one; it takes the first waiting item at once.
   * @throws InvalidArgumentError (field `actor`) when it is no actor handle or the actor is already in the pool.
   */
  push(actor: ActorHandle<C>): void {
    this.add(actor, 'actor');
  }

  private add(actor: ActorHandle<C>, name: string): void {
    if (!(actor instanceof ActorHandle)) throw fieldError(name, 'an actor handle (from spawn or getActor)', actor);
    if (this.members.has(actor.id)) {
      throw new InvalidArgumentError(`${name}: actor ${actor.id} is already in this pool`, {
        context: { field: name, actorId: actor.id },
      });
    }
    this.members.set(actor.id, actor);
    this.idle.push(actor);
    this.dispatch();
  }

  private enqueue(item: Item<C>): void {
    this.queue.push(item);
    this.dispatch();
  }

  /** Gives waiting items to free actors. */
  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) this.run(this.idle.shift()!, this.queue.shift()!);
  }

  private run(actor: ActorHandle<C>, item: Item<C>): void {
    let result: PromiseLike<unknown>;
    try {
      result = Promise.resolve(item.fn(actor, item.value));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (value) => this.release(actor, item, { ok: true, value }),
      (error: unknown) => this.failed(actor, item, error),
    );
  }

  /** The actor is free again: it takes the next waiting item, then the item gets its result. */
  private release(actor: ActorHandle<C>, item: Item<C>, outcome: Outcome): void {
    this.idle.push(actor);
    this.dispatch();
    item.settle(outcome);
  }

  private failed(actor: ActorHandle<C>, item: Item<C>, error: unknown): void {
    if (!diedOn(error, actor)) {
      this.release(actor, item, { ok: false, error });
      return;
    }
    this.members.delete(actor.id);
    this.dead.push(actor.id);
    item.diedOn.push(actor.id);
    if (item.diedOn.length < 2 && this.members.size > 0 && !item.cancelled) {
      // First to go: the other items were waiting behind it.
      this.queue.unshift(item);
      this.dispatch();
    } else {
      item.settle({ ok: false, error: this.deathError(item, error) });
    }
    if (this.members.size === 0) {
      for (const waiting of this.queue.splice(0)) waiting.settle({ ok: false, error: this.deathError(waiting, error) });
    }
  }

  /** The error of an item whose actors died: it names them, the item, and the last death as its cause. */
  private deathError(item: Item<C>, cause: unknown): ActorDiedError {
    const tried = item.diedOn;
    const why =
      tried.length >= 2
        ? `it ran on actors ${tried.join(' and ')}, and each died`
        : tried.length === 1
          ? `actor ${tried[0]} died running it and no actor is left in the pool to retry it on`
          : `every actor of the pool died before it ran (${this.dead.join(', ')})`;
    const actorIds = tried.length > 0 ? tried : this.dead;
    const last = cause instanceof TroupeError ? cause : undefined;
    return new ActorDiedError(`ActorPool item ${item.index} failed: ${why}: ${messageOf(cause)}`, {
      cause,
      context: {
        actorId: actorIds.at(-1),
        actorIds: actorIds.join(','),
        index: String(item.index),
        death: last?.context.death,
      },
    });
  }

  /** Back into the submitted list at its place in submit order (after a getNext timed out). */
  private putBack(item: Item<C>): void {
    const at = this.submitted.findIndex((other) => other.index > item.index);
    this.submitted.splice(at < 0 ? this.submitted.length : at, 0, item);
  }

  /** The iteration behind map and mapUnordered. */
  private async *stream<T>(
    fn: PoolFn<C, unknown, T>,
    source: Iterator<unknown> | AsyncIterator<unknown>,
    ordered: boolean,
    what: string,
  ): AsyncGenerator<T, void, undefined> {
    const outstanding: Item<C>[] = []; // pulled, not yet yielded, in input order
    const completed: Item<C>[] = []; // settled, not yet yielded, in completion order
    const wake = new Signal();
    let unsettled = 0;
    let pulled = 0;
    let exhausted = false;
    let pulling = false;
    let closed = false;
    let stop: { error: unknown } | undefined;

    const onSettle = (item: Item<C>): void => {
      unsettled--;
      completed.push(item);
      wake.notify();
      void refill();
    };
    // Pulls values while the pool has more actors than this iteration has items out.
    const refill = async (): Promise<void> => {
      if (pulling) return;
      pulling = true;
      try {
        while (!exhausted && !closed && unsettled < this.members.size) {
          const step = await source.next();
          if (closed) break;
          if (step.done) {
            exhausted = true;
            break;
          }
          const item = new Item<C>(pulled++, step.value, fn, onSettle);
          outstanding.push(item);
          unsettled++;
          this.enqueue(item);
        }
        if (!exhausted && !closed && unsettled === 0 && this.members.size === 0) {
          exhausted = true;
          stop = { error: this.noActorsError(what, pulled) };
        }
      } catch (error) {
        exhausted = true;
        stop = { error };
      } finally {
        pulling = false;
        wake.notify();
      }
    };

    void refill();
    try {
      for (;;) {
        const next = ordered ? outstanding[0] : completed[0];
        if (next?.outcome) {
          outstanding.splice(outstanding.indexOf(next), 1);
          completed.splice(completed.indexOf(next), 1);
          if (!next.outcome.ok) throw next.outcome.error;
          yield next.outcome.value as T;
          continue;
        }
        if (outstanding.length === 0 && exhausted && !pulling) {
          if (stop) throw stop.error;
          return;
        }
        await wake.wait();
      }
    } finally {
      closed = true;
      for (const item of outstanding) {
        item.cancelled = true;
        const at = this.queue.indexOf(item);
        if (at >= 0) this.queue.splice(at, 1);
      }
      if (!exhausted) closeQuietly(source);
    }
  }

  private noActorsError(what: string, index: number): TroupeError {
    if (this.dead.length === 0) {
      return new InvalidArgumentError(`ActorPool.${what}: the pool has no actors; push one first`, {
        context: { field: 'actors' },
      });
    }
    return new ActorDiedError(
      `ActorPool.${what}: item ${index} was not run: every actor of the pool died (${this.dead.join(', ')})`,
      { context: { actorId: this.dead.at(-1), actorIds: this.dead.join(','), index: String(index) } },
    );
  }
}
