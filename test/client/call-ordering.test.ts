/**
 * Call order and concurrency: each caller's calls run in the order it made them, also when four
 * drivers (separate connections) pipeline thousands of calls at one actor; maxConcurrency bounds
 * how many async calls overlap.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/index.js';
import type { Concurrent, OrderLog } from '../fixtures/actors.js';
import { ACTORS, startEmbeddedCluster, timed, type EmbeddedCluster } from '../fixtures/index.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;
const drivers: Cluster[] = [];

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 2 });
  cluster = embedded.driver;
  for (let i = 0; i < 4; i++) drivers.push(await embedded.connect());
});

afterAll(async () => {
  await embedded?.stop();
});

const CALLS = 1_000;
const expected = Array.from({ length: CALLS }, (_, i) => i);

describe('per-caller order', () => {
  it('four drivers each pipelining 1,000 calls at one actor see them run exactly in the order sent', async () => {
    await cluster.actorClass<typeof OrderLog>(ACTORS, 'OrderLog').spawn([], { name: 'order-log' });
    const handles = await Promise.all(drivers.map((d) => d.getActor<typeof OrderLog>('order-log')));
    const pending: Promise<void>[] = [];
    for (let i = 0; i < CALLS; i++) {
      handles.forEach((h, k) => pending.push(h.call.record(`driver-${k}`, i)));
      // Yield now and then so the calls leave in many batches that interleave across drivers.
      if (i % 97 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(pending);
    const log = await handles[0]!.call.log();
    expect(Object.keys(log).sort()).toEqual(['driver-0', 'driver-1', 'driver-2', 'driver-3']);
    for (let k = 0; k < 4; k++) expect(log[`driver-${k}`]).toEqual(expected);
  });

  it('four concurrent loops on one driver each keep their own order', async () => {
    const h = await cluster.actorClass<typeof OrderLog>(ACTORS, 'OrderLog').spawn([], { isolation: 'shared' });
    const loop = async (name: string): Promise<void> => {
      const mine: Promise<void>[] = [];
      for (let i = 0; i < CALLS; i++) {
        mine.push(h.call.record(name, i));
        if (i % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(mine);
    };
    await Promise.all(['a', 'b', 'c', 'd'].map(loop));
    const log = await h.call.log();
    for (const name of ['a', 'b', 'c', 'd']) expect(log[name]).toEqual(expected);
    await h.kill();
  });
});

describe('maxConcurrency', () => {
  const concurrent = () => cluster.actorClass<typeof Concurrent>(ACTORS, 'Concurrent');

  it('the default of 1 runs async calls one at a time', async () => {
    const h = await concurrent().spawn([]);
    const { ms } = await timed(() => Promise.all(Array.from({ length: 4 }, () => h.call.work(40))));
    expect(await h.call.peakSeen()).toBe(1);
    expect(ms).toBeGreaterThanOrEqual(4 * 40 - 10);
    await h.kill();
  });

  it('maxConcurrency 4 overlaps eight async calls four at a time, never more', async () => {
    const h = await concurrent().spawn([], { maxConcurrency: 4 });
    const { ms, value } = await timed(() => Promise.all(Array.from({ length: 8 }, () => h.call.work(150))));
    expect(await h.call.peakSeen()).toBe(4);
    expect(Math.max(...value)).toBe(4);
    // Two waves of 150 ms, not eight.
    expect(ms).toBeGreaterThanOrEqual(2 * 150 - 10);
    await h.kill();
  });
});
