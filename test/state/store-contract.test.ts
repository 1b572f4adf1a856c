/** The StateStore contract run against every store: MemoryStore (plain and with a snapshot) and RedisStore. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe } from 'vitest';
import { MemoryStore, RedisStore, type TableName } from '../../src/state/index.js';
import { storeContract } from './contract.js';
import { describeRedis, redisForTests, restartReason } from './redis-harness.js';

const dir = mkdtempSync(path.join(tmpdir(), 'troupe-contract-'));
let files = 0;
const snapshotPath = () => path.join(dir, `state-${++files}.json`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function memoryWithStored(file: string | undefined) {
  return async (table: TableName, id: string, stored: unknown) => {
    const snapshotFile = file ?? snapshotPath();
    writeFileSync(snapshotFile, JSON.stringify({ version: 1, tables: { [table]: { [id]: stored } } }));
    return { store: new MemoryStore({ snapshotFile }), key: `${snapshotFile}#tables.${table}`, field: id };
  };
}

describe('MemoryStore', () => {
  storeContract({ open: async () => new MemoryStore(), openWithStored: memoryWithStored(undefined) });
});

describe('MemoryStore with a snapshot file', () => {
  storeContract({
    open: async () => new MemoryStore({ snapshotFile: snapshotPath(), snapshotDelayMs: 1 }),
    openWithStored: memoryWithStored(undefined),
  });
});

const redis = await redisForTests();
describeRedis('RedisStore', redis, (r) => {
  const raw = new Redis(r.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on('error', () => {}); // it sees the outage test too
  afterAll(async () => {
    raw.disconnect();
    await r.close();
  });
  let prefixes = 0;
  const prefix = () => `troupe:{contract-${process.pid}-${++prefixes}}:`;
  storeContract({
    open: () => RedisStore.open(r.url, { keyPrefix: prefix() }),
    openWithStored: async (table, id, stored) => {
      const keyPrefix = prefix();
      await raw.hset(keyPrefix + table, id, JSON.stringify(stored));
      return { store: await RedisStore.open(r.url, { keyPrefix }), key: keyPrefix + table, field: id };
    },
    outage: r.control ? { ...r.control, mustName: new URL(r.url).host } : { skip: restartReason(r) || '' },
  });
});
