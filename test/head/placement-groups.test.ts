/**
 * Placement groups on a cluster of real worker processes with custom resources: strategies,
 * gang reservation under concurrency, removal, node loss, and (with Redis) a head restart.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type InvalidArgumentError,
  ResourcesInfeasibleError,
  TimeoutError,
  type Cluster,
  type PlacementGroup,
} from '../../src/index.js';
import { describeRedis, redisDatabase, redisForTests } from '../state/redis-harness.js';
import { runCliToEnd, startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { ACTORS, eventually, rejection } from '../fixtures/embedded.js';

type Counter = typeof import('../fixtures/actors.js').Counter;

const nodesOf = (pg: PlacementGroup): string[] => pg.current.bundles.map((b) => b.nodeId);

describe('placement groups on three nodes', () => {
  let cluster: TestCluster;
  let driver: Cluster;
  /** Slots in use per live node, ordered by the node's slot total (the nodes register in any order). */
  const slotsUsed = async (): Promise<number[]> =>
    (await driver.status()).nodes
      .filter((n) => n.state === 'ALIVE')
      .sort((a, b) => (b.total.slot ?? 0) - (a.total.slot ?? 0))
      .map((n) => (n.total.slot ?? 0) - (n.available.slot ?? 0));

  beforeAll(async () => {
    cluster = await startTestCluster({
      workers: [
        { numCpus: 4, resources: { slot: 8, accel: 1 } },
        { numCpus: 4, resources: { slot: 6, accel: 1 } },
        { numCpus: 4, resources: { slot: 6 } },
      ],
      heartbeatPeriodMs: 200,
      heartbeatTimeoutMs: 2000,
    });
    driver = await cluster.connect();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  // A failed test must not leave its groups holding the room the next one needs.
  afterEach(async () => {
    const live = (await driver.placementGroups()).filter((g) => g.state !== 'REMOVED');
    await Promise.all(live.map(async (g) => (await driver.getPlacementGroup(g.placementGroupId)).remove()));
  });

  it('places each strategy as promised', async () => {
    const strictPack = await driver.placementGroup([{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_PACK' });
    await strictPack.ready();
    expect(new Set(nodesOf(strictPack)).size).toBe(1);
    const strictSpread = await driver.placementGroup([{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }], {
      strategy: 'STRICT_SPREAD',
      name: 'stages',
    });
    await strictSpread.ready({ timeoutMs: 30_000 });
    expect(new Set(nodesOf(strictSpread)).size).toBe(3);
    const pack = await driver.placementGroup([{ CPU: 0.5 }, { CPU: 0.5 }], { strategy: 'PACK' });
    expect(new Set(nodesOf(await pack.ready().then(() => pack))).size).toBe(1);
    const spread = await driver.placementGroup([{ slot: 1 }, { slot: 1 }, { slot: 1 }], { strategy: 'SPREAD' });
    await spread.ready();
    expect(new Set(nodesOf(spread)).size).toBe(3);
    const listed = await driver.placementGroups();
    const byId = new Map(listed.map((g) => [g.placementGroupId, g]));
    expect(byId.get(strictSpread.id)).toMatchObject({ name: 'stages', strategy: 'STRICT_SPREAD', state: 'CREATED' });
    expect(byId.get(strictSpread.id)!.bundles.map((b) => b.nodeId)).toEqual(nodesOf(strictSpread));
    const cli = await runCliToEnd(['status', '--address', cluster.address, '--token', cluster.token]);
    expect(cli.stdout).toMatch(/Placement groups: 4 created/);
    expect(cli.stdout).toContain(strictSpread.id);
    expect((await driver.getPlacementGroup('stages')).id).toBe(strictSpread.id);
    for (const g of [strictPack, strictSpread, pack, spread]) await g.remove();
    expect(await slotsUsed()).toEqual([0, 0, 0]);
  });

  it('refuses at once what can never fit, and bad bundles, with the field or strategy named', async () => {
    const t0 = Date.now();
    const e = await rejection(
      driver.placementGroup([{ accel: 1 }, { accel: 1 }, { accel: 1 }], { strategy: 'STRICT_SPREAD' }),
    );
    expect(e).toBeInstanceOf(ResourcesInfeasibleError);
    expect(e.message).toMatch(/STRICT_SPREAD placement group needs 3 distinct nodes.*only 2/);
    const big = await rejection(driver.placementGroup([{ CPU: 3 }, { CPU: 3 }], { strategy: 'STRICT_PACK' }));
    expect(big.message).toMatch(/STRICT_PACK/);
    // At once: neither was kept pending for capacity that can never come.
    expect(Date.now() - t0).toBeLessThan(4000);
    const field = async (p: Promise<unknown>) => ((await rejection(p)) as InvalidArgumentError).field;
    expect(await field(driver.placementGroup([{ CPU: -1 }]))).toBe('bundles[0].CPU');
    expect(await field(driver.placementGroup([]))).toBe('bundles');
    expect(await field(driver.placementGroup([{}]))).toBe('bundles[0]');
    expect(await field(driver.placementGroup([{ CPU: 1 }], { strategy: 'TOGETHER' as never }))).toBe('strategy');
    expect(await field(driver.placementGroup([{ CPU: 1 }], { stratgy: 'PACK' } as never))).toBe('stratgy');
  });

  it('50 groups created at once on room for 20 never overcommit a node; the rest wait for removals', async () => {
    const groups = await Promise.all(
      Array.from({ length: 50 }, () => driver.placementGroup([{ slot: 1 }], { strategy: 'PACK' })),
    );
    const state = async () => {
      const listed = new Map((await driver.placementGroups()).map((g) => [g.placementGroupId, g.state]));
      return groups.map((g) => listed.get(g.id));
    };
    let states = await state();
    expect(states.filter((s) => s === 'CREATED')).toHaveLength(20);
    expect(states.filter((s) => s === 'PENDING')).toHaveLength(30);
    expect(await slotsUsed()).toEqual([8, 6, 6]);
    const pending = groups.find((_g, i) => states[i] === 'PENDING')!;
    const err = await rejection(pending.ready({ timeoutMs: 200 }));
    expect(err).toBeInstanceOf(TimeoutError);
    expect(err.message).toMatch(/pending/);
    // Remove ten created ones: ten pending ones take their places, no more.
    const created = groups.filter((_, i) => states[i] === 'CREATED');
    await Promise.all(created.slice(0, 10).map((g) => g.remove()));
    expect(await eventually(async () => (await state()).filter((s) => s === 'CREATED').length === 20, 30_000)).toBe(
      true,
    );
    states = await state();
    expect(states.filter((s) => s === 'REMOVED')).toHaveLength(10);
    expect(states.filter((s) => s === 'PENDING')).toHaveLength(20);
    expect(await slotsUsed()).toEqual([8, 6, 6]);
    await Promise.all(groups.map((g) => g.remove()));
    expect(await slotsUsed()).toEqual([0, 0, 0]);
  }, 60_000);

  it('actors run on their bundle (not the free pool), cannot ask for more, and die with the group', async () => {
    const pg = await driver.placementGroup(
      [
        { CPU: 1, slot: 2 },
        { CPU: 1, slot: 2 },
      ],
      { strategy: 'STRICT_SPREAD' },
    );
    await pg.ready();
    const C = driver.actorClass<Counter>(ACTORS, 'Counter');
    const a = await C.spawn([1], { placementGroup: pg, bundleIndex: 1, numCpus: 1, resources: { slot: 2 } });
    expect(a.nodeId).toBe(nodesOf(pg)[1]);
    const before = await driver.status();
    const node = before.nodes.find((n) => n.nodeId === a.nodeId)!;
    expect(node.total.CPU! - node.available.CPU!).toBe(1); // the bundle's CPU, not one more
    const tooMuch = await rejection(C.spawn([1], { placementGroup: pg, bundleIndex: 0, numCpus: 2 }));
    expect(tooMuch).toBeInstanceOf(ResourcesInfeasibleError);
    expect(tooMuch.message).toMatch(/more than placement group/);
    const outOfRange = await rejection(C.spawn([1], { placementGroup: pg, bundleIndex: 5 }));
    expect(outOfRange.message).toMatch(/bundleIndex 5 is out of range/);
    await pg.remove();
    expect(await eventually(async () => (await a.state()).state === 'DEAD', 30_000)).toBe(true);
    expect((await a.state()).death).toEqual({ type: 'placement-group-removed', groupId: pg.id });
    expect(await slotsUsed()).toEqual([0, 0, 0]);
    const after = await driver.status();
    for (const n of after.nodes) expect(n.available.CPU).toBe(n.total.CPU);
  });

  it('groups go with their driver unless detached', async () => {
    const other = await cluster.connect();
    const owned = await other.placementGroup([{ slot: 1 }]);
    const detached = await other.placementGroup([{ slot: 1 }], { lifetime: 'detached', name: 'outlives' });
    await other.shutdown();
    const states = async () => new Map((await driver.placementGroups()).map((g) => [g.placementGroupId, g.state]));
    expect(await eventually(async () => (await states()).get(owned.id) === 'REMOVED', 30_000)).toBe(true);
    expect((await states()).get(detached.id)).toBe('CREATED');
    await (await driver.getPlacementGroup('outlives')).remove();
  });

  it('a node that dies has its bundles placed again under the strategy, and their actors restart there', async () => {
    // A fourth node, so that three are left for STRICT_SPREAD when one dies.
    await cluster.addNode({ numCpus: 4, resources: { slot: 6 } });
    const pg = await driver.placementGroup([{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }], { strategy: 'STRICT_SPREAD' });
    await pg.ready();
    const C = driver.actorClass<Counter>(ACTORS, 'Counter');
    const victimIndex = cluster.workers.findIndex((w) => w.nodeId === nodesOf(pg)[0]);
    const a = await C.spawn([5], { placementGroup: pg, bundleIndex: 0, numCpus: 1, maxRestarts: 1 });
    await cluster.killNode(victimIndex);
    const moved = await eventually(
      async () => {
        const g = await pg.state();
        return (
          g.state === 'CREATED' &&
          g.bundles[0]!.nodeId !== cluster.workers[victimIndex]!.nodeId &&
          g.bundles[0]!.nodeId !== ''
        );
      },
      45_000,
      100,
    );
    expect(moved).toBe(true);
    const nodes = nodesOf(pg);
    expect(new Set(nodes).size).toBe(3);
    expect(await eventually(async () => (await a.state()).state === 'ALIVE', 45_000, 100)).toBe(true);
    expect((await a.state()).nodeId).toBe(nodes[0]);
    expect(await a.call.inc(1)).toBe(6);
    // Every bundle is on a node alive now: the three that are left.
    const alive = (await driver.status()).nodes.filter((n) => n.state === 'ALIVE').map((n) => n.nodeId);
    expect([...nodes].sort()).toEqual(alive.sort());
    await pg.remove();
  }, 120_000);
});

const redis = await redisForTests();

const db = redisDatabase;

describeRedis('placement groups across a head restart with Redis', redis, (r) => {
  let cluster: TestCluster;
  let driver: Cluster;

  beforeAll(async () => {
    const flush = new Redis(db(r, 5));
    await flush.flushdb();
    flush.disconnect();
    cluster = await startTestCluster({
      workers: [
        { numCpus: 2, resources: { slot: 2 } },
        { numCpus: 2, resources: { slot: 2 } },
      ],
      state: db(r, 5),
    });
    driver = await cluster.connect();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    if (!('skip' in redis)) await redis.close();
  });

  it('keeps every group, its bundles and the actors inside it', async () => {
    const spread = await driver.placementGroup([{ slot: 1 }, { slot: 1 }], {
      strategy: 'STRICT_SPREAD',
      name: 'kept',
      lifetime: 'detached',
    });
    await spread.ready();
    const pack = await driver.placementGroup([{ slot: 1, CPU: 1 }], { strategy: 'STRICT_PACK', lifetime: 'detached' });
    await pack.ready();
    const waiting = await driver.placementGroup([{ slot: 2 }, { slot: 2 }], {
      strategy: 'STRICT_SPREAD',
      lifetime: 'detached',
    });
    expect(waiting.current.state).toBe('PENDING');
    const C = driver.actorClass<Counter>(ACTORS, 'Counter');
    const a = await C.spawn([10], { placementGroup: pack, bundleIndex: 0, numCpus: 1, lifetime: 'detached' });
    const before = await driver.status();
    await cluster.killHead();
    await cluster.restartHead();
    const after = await driver.status();
    const pick = (s: typeof before) =>
      s.placementGroups
        .map((g) => ({ id: g.placementGroupId, state: g.state, nodes: g.bundles.map((b) => b.nodeId), name: g.name }))
        .sort((x, y) => x.id.localeCompare(y.id));
    expect(pick(after)).toEqual(pick(before));
    // The ledgers were rebuilt, not doubled: the same resources are in use.
    const ledger = (st: typeof before) => Object.fromEntries(st.nodes.map((n) => [n.nodeId, n.available]));
    expect(ledger(after)).toEqual(ledger(before));
    expect(await a.call.inc(1)).toBe(11);
    // Removing a group after the restart frees its bundles, and the waiting one gets placed.
    await spread.remove();
    await pack.remove();
    expect((await waiting.ready({ timeoutMs: 10_000 })).state).toBe('CREATED');
    await waiting.remove();
  }, 90_000);
});
