/**
 * `isolation: 'shared'`: light actors live together in one host process, each with its own
 * instance state, and die one by one without taking their neighbours down.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorDiedError, type Cluster } from '../../src/index.js';
import type { Box } from '../fixtures/actors.js';
import { ACTORS, rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 1 });
  cluster = embedded.driver;
});

afterAll(async () => {
  await embedded?.stop();
});

const boxes = () => cluster.actorClass<typeof Box>(ACTORS, 'Box');

describe('shared isolation', () => {
  it('two shared actors have the same process but separate state; killing one leaves the other working', async () => {
    const [a, b] = await Promise.all([
      boxes().spawn(['a'], { isolation: 'shared', name: 'box-a' }),
      boxes().spawn(['b'], { isolation: 'shared' }),
    ]);
    expect(a.pid).toBeGreaterThan(0);
    expect(a.pid).toBe(b.pid);
    expect(await a.call.pid()).toBe(await b.call.pid());
    expect(a.pid).not.toBe(process.pid);

    expect(await a.call.put('a1')).toBe(1);
    expect(await a.call.put('a2')).toBe(2);
    expect(await b.call.put('b1')).toBe(1);
    expect(await a.call.contents()).toEqual(['a1', 'a2']);
    expect(await b.call.contents()).toEqual(['b1']);
    // Module state is shared (one process), instance state is not.
    expect(await a.call.modulePuts()).toBe(await b.call.modulePuts());
    expect(await b.call.modulePuts()).toBeGreaterThanOrEqual(3);

    const viaName = await cluster.getActor<typeof Box>('box-a');
    await a.kill();
    const err = await rejection(viaName.call.contents());
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toMatch(/killed by the user/);
    expect((await a.state()).state).toBe('DEAD');

    expect(await b.call.put('b2')).toBe(2);
    expect(await b.call.contents()).toEqual(['b1', 'b2']);
    expect(await b.call.pid()).toBe(b.pid);
    expect((await b.state()).state).toBe('ALIVE');
    await b.kill();
  });

  it('200 shared actors spawn together into a few processes, each with its own state', async () => {
    const own = await boxes().spawn(['own']);
    const many = await Promise.all(
      Array.from({ length: 200 }, (_, i) => boxes().spawn([`box-${i}`], { isolation: 'shared' })),
    );
    const pids = new Set(many.map((h) => h.pid));
    expect(pids.size).toBeLessThanOrEqual(2);
    expect(pids.has(own.pid)).toBe(false);
    const sizes = await Promise.all(many.map((h, i) => h.call.put(`item-${i}`)));
    expect(sizes).toEqual(many.map(() => 1));
    const reported = new Set(await Promise.all(many.map((h) => h.call.pid())));
    expect(reported).toEqual(pids);

    const status = await cluster.status();
    const alive = status.actors.filter((a) => a.state === 'ALIVE');
    expect(alive.length).toBe(201);
    // 200 actors, at most 2 host processes for them, plus the one of `own`.
    expect(new Set(alive.map((a) => a.pid)).size).toBeLessThanOrEqual(3);
    await Promise.all(many.map((h) => h.kill()));
    await own.kill();
  });
});
