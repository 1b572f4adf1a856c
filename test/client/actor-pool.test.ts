/**
 * ActorPool on real actors: map keeps input order while completion order differs, mapUnordered
 * yields in completion order, submit/getNext, push/popIdle, one item in flight per actor, an item
 * whose actor died retried once on another, and getNext's timeout.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ActorDiedError,
  ActorMethodError,
  ActorPool,
  InvalidArgumentError,
  TimeoutError,
  type ActorHandle,
  type Cluster,
} from '../../src/index.js';
import type { PoolWorker, WorkerMode } from '../fixtures/pool-actors.js';
import { rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const POOL_ACTORS = new URL('../fixtures/pool-actors.ts', import.meta.url);

type Worker = ActorHandle<typeof PoolWorker>;
type Step = { value: number; by: string };

let embedded: EmbeddedCluster;
let cluster: Cluster;
let spawned: Worker[] = [];

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 2 });
  cluster = embedded.driver;
});

afterEach(async () => {
  await Promise.allSettled(spawned.map((w) => w.kill()));
  spawned = [];
});

afterAll(async () => {
  await embedded?.stop();
});

/** One worker per [name, mode]; maxConcurrency 4, so a worker would overlap calls if the pool sent them. */
async function workers(...specs: [string, WorkerMode?][]): Promise<Worker[]> {
  const cls = cluster.actorClass<typeof PoolWorker>(POOL_ACTORS, 'PoolWorker');
  const handles = await Promise.all(
    specs.map(([name, mode]) => cls.spawn([name, mode ?? 'normal'], { numCpus: 0, maxConcurrency: 4 })),
  );
  spawned.push(...handles);
  return handles;
}

const step = (a: Worker, v: number): Promise<Step> => a.call.step(v);

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('map and mapUnordered', () => {
  it('map yields in input order while the items complete in another order', async () => {
    const [slow, fast] = await workers(['slow', 'gated'], ['fast']);
    const pool = new ActorPool([slow!, fast!]);
    const completed: number[] = [];
    const results = await collect(
      pool.map(
        async (a, v: number) => {
          const r = await step(a, v);
          completed.push(v);
          // Item 0 holds the slow worker until the fast one has done all the others.
          if (completed.length === 5) void slow!.call.open();
          return r;
        },
        [0, 1, 2, 3, 4, 5],
      ),
    );
    expect(completed).toEqual([1, 2, 3, 4, 5, 0]);
    expect(results).toEqual([
      { value: 0, by: 'slow' },
      { value: 10, by: 'fast' },
      { value: 20, by: 'fast' },
      { value: 30, by: 'fast' },
      { value: 40, by: 'fast' },
      { value: 50, by: 'fast' },
    ]);
  });

  it('mapUnordered yields in completion order, from an async iterable', async () => {
    const [slow, fast] = await workers(['slow', 'gated'], ['fast']);
    const pool = new ActorPool([slow!, fast!]);
    async function* values(): AsyncGenerator<number> {
      for (let i = 0; i < 6; i++) yield i;
    }
    const results: Step[] = [];
    for await (const r of pool.mapUnordered(step, values())) {
      results.push(r);
      if (results.length === 5) await slow!.call.open();
    }
    expect(results.map((r) => r.value)).toEqual([10, 20, 30, 40, 50, 0]);
    expect(results.map((r) => r.by)).toEqual(['fast', 'fast', 'fast', 'fast', 'fast', 'slow']);
  });

  it('each actor runs one item at a time, and every actor takes items', async () => {
    const ws = await workers(['a'], ['b'], ['c']);
    const pool = new ActorPool(ws);
    const inFlight = new Map<string, number>();
    let peakInFlight = 0;
    const values = Array.from({ length: 12 }, (_, i) => i);
    const results = await collect(
      pool.map(async (a, v: number) => {
        const n = (inFlight.get(a.id) ?? 0) + 1;
        inFlight.set(a.id, n);
        peakInFlight = Math.max(peakInFlight, n);
        try {
          return await step(a, v);
        } finally {
          inFlight.set(a.id, n - 1);
        }
      }, values),
    );
    expect(results.map((r) => r.value)).toEqual(values.map((v) => v * 10));
    expect(peakInFlight).toBe(1);
    const stats = await Promise.all(ws.map((w) => w.call.stats()));
    for (const s of stats) {
      expect(s.peak).toBe(1);
      expect(s.ran.length).toBeGreaterThan(0);
    }
    expect(stats.flatMap((s) => s.ran).sort((x, y) => x - y)).toEqual(values);
  });

  it('map reads its values as actors free up: an endless generator, ended by a break', async () => {
    const ws = await workers(['a'], ['b']);
    const pool = new ActorPool(ws);
    let pulled = 0;
    let closed = false;
    // Endless for a pool that reads as it should; an eager one would read all 100,000 at once.
    function* naturals(): Generator<number> {
      try {
        while (pulled < 100_000) yield pulled++;
      } finally {
        closed = true;
      }
    }
    const results: number[] = [];
    for await (const r of pool.map(step, naturals())) {
      results.push(r.value);
      if (results.length === 5) break;
    }
    expect(results).toEqual([0, 10, 20, 30, 40]);
    expect(closed).toBe(true);
    // Read as actors free: a few beyond those yielded (results finished out of order wait for their
    // turn while their actors take more), never the eager 100,000.
    expect(pulled).toBeLessThan(50);
  });

  it("a method's error is thrown at its place; the actor stays in the pool", async () => {
    const ws = await workers(['a'], ['b']);
    const pool = new ActorPool(ws);
    const got: number[] = [];
    const err = await rejection(
      (async () => {
        for await (const r of pool.map((a, v: number) => (v === 2 ? a.call.refuse(v) : step(a, v)), [0, 1, 2, 3])) {
          got.push(r.value);
        }
      })(),
    );
    expect(got).toEqual([0, 10]);
    expect(err).toBeInstanceOf(ActorMethodError);
    expect((err.cause as Error).message).toBe('value 2 refused');
    expect(pool.size).toBe(2);
    expect(await collect(pool.map(step, [7]))).toEqual([{ value: 70, by: expect.any(String) }]);
  });

  it('refuses a non-function and a non-iterable, naming the field', async () => {
    const pool = new ActorPool<typeof PoolWorker>([]);
    const notFn = (() => {
      try {
        pool.map(42 as never, [1]);
      } catch (e) {
        return e as InvalidArgumentError;
      }
    })();
    expect(notFn).toBeInstanceOf(InvalidArgumentError);
    expect(notFn?.field).toBe('fn');
    expect(() => pool.mapUnordered(step, 5 as never)).toThrow(/values must be an iterable/);
    // An empty pool has nobody to run the items.
    const empty = await rejection(collect(pool.map(step, [1])));
    expect(empty).toBeInstanceOf(InvalidArgumentError);
    expect(empty.message).toContain('the pool has no actors');
  });
});

describe('submit and getNext', () => {
  it('getNext returns results in submit order, getNextUnordered in completion order', async () => {
    const [slow, fast] = await workers(['slow', 'gated'], ['fast']);
    const pool = new ActorPool<typeof PoolWorker, Step>([slow!, fast!]);
    expect(pool.hasNext()).toBe(false);
    expect(pool.hasFree()).toBe(true);
    for (const v of [0, 1, 2, 3]) pool.submit(step, v);
    expect(pool.hasNext()).toBe(true);
    // Both actors busy and two items waiting.
    expect(pool.hasFree()).toBe(false);
    expect(await pool.getNextUnordered()).toEqual({ value: 10, by: 'fast' });
    await slow!.call.open();
    expect(await pool.getNext()).toEqual({ value: 0, by: 'slow' });
    expect((await pool.getNext()).value).toBe(20);
    expect((await pool.getNext()).value).toBe(30);
    expect(pool.hasNext()).toBe(false);
    const none = await rejection(pool.getNext());
    expect(none).toBeInstanceOf(InvalidArgumentError);
    expect(none.message).toContain('hasNext() is false');
  });

  it("a method's error rejects its getNext, and the pool goes on", async () => {
    const ws = await workers(['a']);
    const pool = new ActorPool<typeof PoolWorker, Step>(ws);
    pool.submit((a, v: number) => a.call.refuse(v), 1);
    pool.submit(step, 2);
    const err = await rejection(pool.getNext());
    expect(err).toBeInstanceOf(ActorMethodError);
    expect(err.message).toContain('value 1 refused');
    expect(await pool.getNext()).toEqual({ value: 20, by: 'a' });
    expect(pool.size).toBe(1);
  });

  it('getNext with timeoutMs rejects with TimeoutError and keeps the result for later', async () => {
    const [gated] = await workers(['gated', 'gated']);
    const pool = new ActorPool<typeof PoolWorker, Step>([gated!]);
    pool.submit(step, 4);
    const late = await rejection(pool.getNext({ timeoutMs: 50 }));
    expect(late).toBeInstanceOf(TimeoutError);
    expect(late.message).toContain('item 0 has no result after 50 ms');
    expect(pool.hasNext()).toBe(true);
    expect(await rejection(pool.getNextUnordered({ timeoutMs: 0 }))).toBeInstanceOf(TimeoutError);
    const bad = await rejection(pool.getNext({ timeoutMs: -1 }));
    expect((bad as InvalidArgumentError).field).toBe('timeoutMs');
    await gated!.call.open();
    expect(await pool.getNext({ timeoutMs: 60_000 })).toEqual({ value: 40, by: 'gated' });
    expect(pool.hasNext()).toBe(false);
  });
});

describe('push and popIdle', () => {
  it('pops idle actors, queues items in an empty pool, and runs them on a pushed actor', async () => {
    const [a, b] = await workers(['a'], ['b']);
    const pool = new ActorPool<typeof PoolWorker, Step>([a!, b!]);
    const popped = [pool.popIdle(), pool.popIdle()];
    expect(popped.map((w) => w?.id).sort()).toEqual([a!.id, b!.id].sort());
    expect(pool.popIdle()).toBeUndefined();
    expect(pool.size).toBe(0);
    pool.submit(step, 3);
    expect(pool.hasNext()).toBe(true);
    expect(pool.hasFree()).toBe(false);
    pool.push(a!);
    expect(await pool.getNext()).toEqual({ value: 30, by: 'a' });
    expect(pool.hasFree()).toBe(true);
  });

  it('a busy actor is not idle: popIdle gives nothing while it works', async () => {
    const [g] = await workers(['g', 'gated']);
    const pool = new ActorPool<typeof PoolWorker, Step>([g!]);
    pool.submit(step, 1);
    expect(pool.hasFree()).toBe(false);
    expect(pool.popIdle()).toBeUndefined();
    await g!.call.open();
    await pool.getNext();
    expect(pool.popIdle()?.id).toBe(g!.id);
  });

  it('refuses an actor already in the pool and anything that is no handle, naming the field', async () => {
    const [a] = await workers(['a']);
    const pool = new ActorPool([a!]);
    const twice = (() => {
      try {
        pool.push(a!);
      } catch (e) {
        return e as InvalidArgumentError;
      }
    })();
    expect(twice).toBeInstanceOf(InvalidArgumentError);
    expect(twice?.field).toBe('actor');
    expect(twice?.message).toBe(`actor: actor ${a!.id} is already in this pool`);
    // Another handle to the same actor is the same actor.
    const named = await cluster
      .actorClass<typeof PoolWorker>(POOL_ACTORS, 'PoolWorker')
      .spawn(['n'], { name: 'pool-n' });
    spawned.push(named);
    pool.push(named);
    const again = await cluster.getActor<typeof PoolWorker>('pool-n');
    expect(again).not.toBe(named);
    expect(() => pool.push(again)).toThrow(`actor: actor ${named.id} is already in this pool`);
    expect(() => pool.push({ id: 'x' } as never)).toThrow(/actor must be an actor handle/);
    expect(() => new ActorPool('nope' as never)).toThrow(/actors must be an array of actor handles/);
    const field = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as InvalidArgumentError).field;
      }
    };
    expect(field(() => new ActorPool('nope' as never))).toBe('actors');
    expect(field(() => new ActorPool([a!, 7 as never]))).toBe('actors[1]');
    expect(field(() => new ActorPool([a!, a!]))).toBe('actors[1]');
  });
});

describe('actors that die', () => {
  it('an item whose actor is SIGKILLed is retried on another; the dead actor leaves the pool', async () => {
    const [victim, survivor] = await workers(['victim', 'dies'], ['survivor']);
    const pool = new ActorPool([victim!, survivor!]);
    const attempts: [number, string][] = [];
    const results = await collect(
      pool.map(
        (a, v: number) => {
          attempts.push([v, a.id]);
          return step(a, v);
        },
        [0, 1, 2, 3, 4, 5],
      ),
    );
    expect(results).toEqual([0, 10, 20, 30, 40, 50].map((value) => ({ value, by: 'survivor' })));
    const retried = [...new Set(attempts.map(([v]) => v))].filter((v) => attempts.filter(([x]) => x === v).length > 1);
    expect(retried).toHaveLength(1);
    expect(attempts.filter(([v]) => v === retried[0]).map(([, id]) => id)).toEqual([victim!.id, survivor!.id]);
    expect(pool.size).toBe(1);
    expect(pool.popIdle()?.id).toBe(survivor!.id);
  });

  it('an item whose actor is killed with handle.kill() is retried on another', async () => {
    const [x, y] = await workers(['x', 'gated'], ['y', 'gated']);
    const pool = new ActorPool<typeof PoolWorker, Step>([x!, y!]);
    let first: Worker | undefined;
    pool.submit((a, v: number) => {
      first ??= a;
      return step(a, v);
    }, 6);
    expect(first).toBeDefined();
    const other = first === x ? y! : x!;
    await first!.kill();
    await other.call.open();
    expect(await pool.getNext()).toEqual({ value: 60, by: other === x ? 'x' : 'y' });
    expect(pool.size).toBe(1);
  });

  it('an item whose retry dies too fails with an error naming both actors and the item', async () => {
    const ws = await workers(['d1', 'dies'], ['d2', 'dies'], ['d3', 'dies']);
    const pool = new ActorPool<typeof PoolWorker, Step>(ws);
    pool.submit(step, 1);
    const err = await rejection(pool.getNext());
    expect(err).toBeInstanceOf(ActorDiedError);
    const died = err as ActorDiedError;
    expect(died.context.index).toBe('0');
    const ids = died.context.actorIds!.split(',');
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) {
      expect(ws.map((w) => w.id)).toContain(id);
      expect(died.message).toContain(id);
    }
    expect(died.message).toContain('ActorPool item 0 failed');
    expect(died.cause).toBeInstanceOf(ActorDiedError);
    expect((died.cause as ActorDiedError).context.actorId).toBe(ids[1]);
    // Retried once only: the third actor never ran it and is still in the pool.
    expect(pool.size).toBe(1);
  });

  it('an item whose only actor dies fails naming it, and map ends there', async () => {
    const [d] = await workers(['d', 'dies']);
    const pool = new ActorPool([d!]);
    const err = await rejection(collect(pool.map(step, [0, 1, 2])));
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toContain(`actor ${d!.id} died running it and no actor is left in the pool`);
    expect((err as ActorDiedError).context.index).toBe('0');
    expect(pool.size).toBe(0);
  });
});
