import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { HeadUnavailableError, type Cluster } from '../../src/index.js';
import { cannotRestart, describeRedis, redisDatabase, redisForTests } from '../state/redis-harness.js';
import { ACTORS, eventually, runCliToEnd, sleep, startTestCluster, type TestCluster } from '../fixtures/index.js';

type Phoenix = typeof import('../fixtures/actors.js').Phoenix;

const redis = await redisForTests();

const db = redisDatabase;

describeRedis('a head with its state in Redis', redis, (r) => {
  let cluster: TestCluster;
  let driver: Cluster;

  beforeAll(async () => {
    const flush = new Redis(db(r, 3));
    await flush.flushdb();
    flush.disconnect();
    cluster = await startTestCluster({
      workers: [{ numCpus: 2 }, { numCpus: 2 }],
      heartbeatPeriodMs: 200,
      heartbeatTimeoutMs: 3000,
      state: db(r, 3),
    });
    driver = await cluster.connect();
  });
  afterAll(async () => {
    await cluster?.stop();
    if (!('skip' in redis)) await redis.close();
  });

  it('survives kill -9 of the head: calls go on, and the restarted head knows the same actors', async () => {
    const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const keeper = await P.spawn(['keeper'], { name: 'keeper', namespace: 'ft', maxRestarts: 2 });
    const other = await P.spawn(['other'], { schedulingStrategy: 'SPREAD' });
    const before = await driver.status();
    const nodeIds = before.nodes
      .filter((n) => n.state === 'ALIVE')
      .map((n) => n.nodeId)
      .sort();

    let calls = 0;
    const failures: unknown[] = [];
    let running = true;
    const loop = (async () => {
      while (running) {
        try {
          calls = await keeper.call.inc(1);
        } catch (err) {
          failures.push(err);
        }
        await sleep(5);
      }
    })();
    await sleep(300);
    await cluster.killHead('SIGKILL');
    const duringOutage = calls;
    await sleep(1000);
    expect(calls).toBeGreaterThan(duringOutage); // the actor kept serving while the head was down
    await cluster.restartHead();
    await sleep(1000);
    running = false;
    await loop;
    expect(failures).toEqual([]);

    const found = await driver.getActor<Phoenix>('keeper', { namespace: 'ft' });
    expect(found.id).toBe(keeper.id);
    const state = await found.state();
    expect(state.state).toBe('ALIVE');
    expect(state.numRestarts).toBe(0);
    expect(await found.call.inc(1)).toBe(calls + 1); // same instance, same state
    // Every node came back under its own id, and each actor is listed once.
    expect(
      await eventually(async () => {
        const s = await driver.status();
        return (
          s.nodes
            .filter((n) => n.state === 'ALIVE')
            .map((n) => n.nodeId)
            .sort()
            .join() === nodeIds.join()
        );
      }, 10_000),
    ).toBe(true);
    const after = await driver.status();
    for (const id of [keeper.id, other.id]) expect(after.actors.filter((a) => a.actorId === id)).toHaveLength(1);
    expect(after.stateStore).toMatch(/^redis:/);
    // The restarted head schedules as before: resources held by live actors are still held.
    const fresh = await P.spawn(['fresh'], { numCpus: 1 });
    expect(await fresh.call.inc(2)).toBe(2);
    await Promise.all([fresh.kill(), other.kill(), keeper.kill()]);
  });

  const noRestart = cannotRestart(r, 'a head riding out a Redis restart');
  it.skipIf(noRestart)(
    `rides out a Redis restart: the head retries, then serves new spawns${noRestart ? ` (skipped: ${noRestart})` : ''}`,
    async () => {
      const control = r.control!;
      await control.stop();
      const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
      const pending = P.spawn(['during'], {});
      await sleep(700);
      await control.start();
      const a = await pending;
      expect(await a.call.inc(1)).toBe(1);
      const status = await driver.status();
      expect(status.actors.find((x) => x.actorId === a.id)?.state).toBe('ALIVE');
      await a.kill();
    },
  );

  it('makes calls that need the head wait for it, then fail with HeadUnavailableError saying what to do', async () => {
    const impatient = await cluster.connect({ headTimeoutMs: 1500 });
    try {
      const P = impatient.actorClass<Phoenix>(ACTORS, 'Phoenix');
      const a = await P.spawn(['waiting'], { lifetime: 'detached' });
      await cluster.killHead('SIGKILL');
      const t0 = Date.now();
      const err = await impatient.status().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HeadUnavailableError);
      expect((err as Error).message).toMatch(/restart the head/);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000); // it waited before giving up
      expect(await a.call.inc(1)).toBe(1); // the actor itself never needed the head
      await cluster.restartHead();
      // The channel reconnects on its own backoff; within a few tries the same handle works again.
      expect(
        await eventually(
          async () => (await impatient.status().catch(() => undefined))?.headAddress === cluster.address,
          15_000,
        ),
      ).toBe(true);
      await a.kill();
    } finally {
      await impatient.shutdown();
    }
  });

  it('refuses to start on corrupt data, naming the key', async () => {
    const url = db(r, 4);
    const raw = new Redis(url);
    await raw.flushdb();
    await raw.hset('troupe:{default}:actors', 'actor-broken', '{not json');
    raw.disconnect();
    const res = await runCliToEnd(
      ['start', '--head', '--port', '0', '--no-worker', '--token', 't', '--state', url],
      cluster.env,
    );
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/troupe:\{default\}:actors/);
    expect(res.stderr).toMatch(/actor-broken/);
  });
});
