/**
 * The contract again through `redis+sentinel://` (a master and one Sentinel) and `redis+cluster://`
 * (a one-node Redis Cluster owning every slot), both started here with the local redis-server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { findRedisServer, startLocalRedis, type LocalRedis } from '../../bench/lib/redis-server.js';
import { RedisStore } from '../../src/state/index.js';
import { ErrorCode, type TroupeError } from '../../src/common/errors.js';
import { storeContract, troupeError } from './contract.js';
import { actorRow } from './rows-fixture.js';
import { skipWithout } from '../fixtures/requirements.js';

const started: LocalRedis[] = [];
afterAll(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});

async function start(options: Parameters<typeof startLocalRedis>[0]): Promise<LocalRedis> {
  const server = await startLocalRedis(options);
  started.push(server);
  return server;
}

/** A Sentinel URL for a fresh master; the Sentinel knows the master once it answers for it. */
async function sentinelUrl(): Promise<string> {
  const master = await start({});
  const sentinel = await start({ sentinel: { masterPort: master.port, masterName: 'troupe-master' } });
  const probe = new Redis(sentinel.port, '127.0.0.1');
  try {
    while (!(await probe.call('SENTINEL', 'get-master-addr-by-name', 'troupe-master'))) await sleep(20);
  } finally {
    probe.disconnect();
  }
  return `redis+sentinel://127.0.0.1:${sentinel.port}/troupe-master`;
}

let clusterNode: LocalRedis | undefined;

/** A cluster URL for a one-node cluster that owns all 16,384 slots. */
async function clusterUrl(): Promise<string> {
  const args = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-announce-ip',
    '127.0.0.1',
  ];
  const node = (clusterNode = await start({ args }));
  const probe = new Redis(node.port, '127.0.0.1');
  try {
    await probe.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    while (!String(await probe.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) await sleep(20);
  } finally {
    probe.disconnect();
  }
  return `redis+cluster://127.0.0.1:${node.port}`;
}

const missing = skipWithout({
  what: 'RedisStore through Sentinel and Cluster',
  pkg: 'redis-server',
  missing: findRedisServer() ? null : 'redis-server is not on PATH',
});

for (const [title, makeUrl] of [
  ['RedisStore through Sentinel', sentinelUrl],
  ['RedisStore on Redis Cluster', clusterUrl],
] as const) {
  describe.skipIf(missing)(missing ? `${title} (skipped: ${missing})` : title, () => {
    let url: Promise<string> | undefined;
    const once = () => (url ??= makeUrl());
    let n = 0;
    const prefix = () => `troupe:{topo-${process.pid}-${++n}}:`;
    storeContract({
      open: async () => RedisStore.open(await once(), { keyPrefix: prefix() }),
      openWithStored: async (table, id, stored) => {
        const keyPrefix = prefix();
        const store = await RedisStore.open(await once(), { keyPrefix });
        // Written through a raw client of the same kind, so it lands where the store reads.
        await (store as unknown as { client: Redis }).client.hset(keyPrefix + table, id, JSON.stringify(stored));
        return { store, key: keyPrefix + table, field: id };
      },
    });

    it('reports the topology in its description', async () => {
      const store = await RedisStore.open(await once(), { keyPrefix: prefix() });
      await store.put('actors', 'a1', actorRow('a1'));
      expect(store.description).toMatch(title.includes('Sentinel') ? /^redis\+sentinel:\/\// : /^redis\+cluster:\/\//);
      await store.close();
    });

    if (title.includes('Cluster')) {
      it('fails commands while the cluster is down instead of queueing them forever, and recovers', async () => {
        const store = await RedisStore.open(await once(), { keyPrefix: prefix(), commandTimeoutMs: 300 });
        await clusterNode!.stop();
        try {
          await troupeError(store.get('jobs', 'j1'), ErrorCode.STATE_UNAVAILABLE);
        } finally {
          await clusterNode!.start(); // same folder, so the node keeps its slots
        }
        for (;;) {
          try {
            await store.put('jobs', 'j1', { id: 'j1' });
            break;
          } catch (err) {
            expect((err as TroupeError).code).toBe(ErrorCode.STATE_UNAVAILABLE);
            await sleep(100);
          }
        }
        expect(await store.get('jobs', 'j1')).toEqual({ id: 'j1' });
        await store.close();
      });
    }
  });
}
