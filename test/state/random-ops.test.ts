/**
 * Long random-operation runs (STYLE.md item 7): 10,000 seeded operations against each store, each
 * result checked against a plain in-memory model, and the whole state compared at checkpoints and
 * once more from a second store instance opened on the same data (a head restart's reload).
 * Set STATE_RANDOM_SEED to replay a failing run; the seed is in every failure message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  MemoryStore,
  RedisStore,
  type Mutation,
  type RowTypes,
  type StateStore,
  type TableName,
} from '../../src/state/index.js';
import { describeRedis, redisForTests } from './redis-harness.js';
import { ALL_TABLES, rowFor } from './rows-fixture.js';

const OPS = 10_000;
const CHECK_EVERY = 1_000;
const SEED = Number(process.env.STATE_RANDOM_SEED ?? 20_240_601);

/** mulberry32: small, seeded, good enough to pick operations. */
function random(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  return { next, int, pick };
}

type Rand = ReturnType<typeof random>;
const IDS = Array.from({ length: 12 }, (_, i) => `id${i}`);
const NAMESPACES = ['ns0', 'ns1'];
const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4'];
const ACTORS = ['a0', 'a1', 'a2', 'a3'];
const KV_KEYS = ['k0', 'k1', 'p/k2', 'p/k3', 'p/q/k4', 'k5'];
const COUNTERS = ['c0', 'c1', 'c2'];

/** The plain model: maps, and a commit that works on a copy and keeps it only when every claim holds. */
class Model {
  rows = new Map<TableName, Map<string, unknown>>(ALL_TABLES.map((t) => [t, new Map()]));
  names = new Map<string, string>(); // JSON [ns, name] -> actor
  kv = new Map<string, Uint8Array>(); // JSON [ns, key] -> value
  counters = new Map<string, number>();

  commit(ms: Mutation[]) {
    const names = new Map(this.names);
    const rows = new Map(Array.from(this.rows, ([t, m]) => [t, new Map(m)]));
    const kv = new Map(this.kv);
    for (const m of ms) {
      const nameKey = 'namespace' in m && 'name' in m ? JSON.stringify([m.namespace, m.name]) : '';
      switch (m.op) {
        case 'put':
          rows.get(m.table)!.set(m.id, structuredClone(m.row));
          break;
        case 'delete':
          rows.get(m.table)!.delete(m.id);
          break;
        case 'claimName': {
          const holder = names.get(nameKey);
          if (holder !== undefined && holder !== m.actorId) {
            return { ok: false, reason: 'name-taken', namespace: m.namespace, name: m.name, holder };
          }
          names.set(nameKey, m.actorId);
          break;
        }
        case 'releaseName':
          if (names.get(nameKey) === m.actorId) names.delete(nameKey);
          break;
        case 'kvPut':
          kv.set(JSON.stringify([m.namespace, m.key]), new Uint8Array(m.value));
          break;
        case 'kvDelete':
          kv.delete(JSON.stringify([m.namespace, m.key]));
          break;
      }
    }
    [this.names, this.rows, this.kv] = [names, rows, kv];
    return { ok: true };
  }

  kvList(ns: string, prefix: string): string[] {
    return Array.from(this.kv.keys(), (k) => JSON.parse(k) as [string, string])
      .filter(([n, key]) => n === ns && key.startsWith(prefix))
      .map(([, key]) => key)
      .sort();
  }
}

function randomMutation(r: Rand, step: number): Mutation {
  const table = r.pick(ALL_TABLES);
  const id = r.pick(IDS);
  switch (r.int(6)) {
    case 0:
      return { op: 'put', table, id, row: rowFor(table, id, step) };
    case 1:
      return { op: 'delete', table, id };
    case 2:
      return { op: 'claimName', namespace: r.pick(NAMESPACES), name: r.pick(NAMES), actorId: r.pick(ACTORS) };
    case 3:
      return { op: 'releaseName', namespace: r.pick(NAMESPACES), name: r.pick(NAMES), actorId: r.pick(ACTORS) };
    case 4: {
      const value = Uint8Array.from({ length: r.int(24) }, () => r.int(256));
      return { op: 'kvPut', namespace: r.pick(NAMESPACES), key: r.pick(KV_KEYS), value };
    }
    default:
      return { op: 'kvDelete', namespace: r.pick(NAMESPACES), key: r.pick(KV_KEYS) };
  }
}

const sortRows = (rows: unknown[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

async function compareAll(store: StateStore, model: Model, where: string): Promise<void> {
  for (const table of ALL_TABLES) {
    expect(sortRows(await store.list(table)), `${where}: list ${table}`).toEqual(
      sortRows([...model.rows.get(table)!.values()]),
    );
  }
  const names = (await store.listNames()).map((n) => [JSON.stringify([n.namespace, n.name]), n.actorId]);
  expect(new Map(names as Array<[string, string]>), `${where}: names`).toEqual(model.names);
  for (const ns of NAMESPACES) {
    expect(await store.kvList(ns), `${where}: kvList ${ns}`).toEqual(model.kvList(ns, ''));
    for (const key of KV_KEYS) {
      const want = model.kv.get(JSON.stringify([ns, key]));
      const got = await store.kvGet(ns, key);
      expect(got && Array.from(got), `${where}: kvGet ${ns} ${key}`).toEqual(want && Array.from(want));
    }
  }
}

/** Runs the random operations on `store`, checking each result; returns the model for later checks. */
async function run(store: StateStore, seed: number): Promise<Model> {
  const r = random(seed);
  const model = new Model();
  for (let step = 1; step <= OPS; step++) {
    const at = `seed ${seed} step ${step}`;
    const table = r.pick(ALL_TABLES);
    const id = r.pick(IDS);
    const dice = r.int(100);
    if (dice < 20) {
      const row = rowFor(table, id, step) as RowTypes[typeof table];
      await store.put(table, id, row);
      model.rows.get(table)!.set(id, row);
    } else if (dice < 28) {
      await store.delete(table, id);
      model.rows.get(table)!.delete(id);
    } else if (dice < 43) {
      expect(await store.get(table, id), at).toEqual(model.rows.get(table)!.get(id));
    } else if (dice < 70) {
      const mutations = Array.from({ length: 1 + r.int(5) }, () => randomMutation(r, step));
      expect(await store.commit(mutations), at).toEqual(model.commit(mutations));
    } else if (dice < 77) {
      const ns = r.pick(NAMESPACES);
      const name = r.pick(NAMES);
      expect(await store.lookupName(ns, name), at).toEqual(model.names.get(JSON.stringify([ns, name])));
    } else if (dice < 84) {
      const ns = r.pick(NAMESPACES);
      const key = r.pick(KV_KEYS);
      const want = model.kv.get(JSON.stringify([ns, key]));
      const got = await store.kvGet(ns, key);
      expect(got && Array.from(got), at).toEqual(want && Array.from(want));
    } else if (dice < 90) {
      const ns = r.pick(NAMESPACES);
      const prefix = r.pick(['', 'p/', 'p/q/', 'k', 'zz']);
      expect(await store.kvList(ns, prefix), at).toEqual(model.kvList(ns, prefix));
    } else if (dice < 96) {
      const counter = r.pick(COUNTERS);
      const next = (model.counters.get(counter) ?? 0) + 1;
      model.counters.set(counter, next);
      expect(await store.incr(counter), at).toBe(next);
    } else {
      expect(sortRows(await store.list(table)), at).toEqual(sortRows([...model.rows.get(table)!.values()]));
    }
    if (step % CHECK_EVERY === 0) await compareAll(store, model, at);
  }
  return model;
}

describe('MemoryStore under 10,000 random operations', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-random-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches the model, also after a reload from its snapshot', async () => {
    const snapshotFile = path.join(dir, 'state.json');
    const store = new MemoryStore({ snapshotFile, snapshotDelayMs: 5 });
    const model = await run(store, SEED);
    await store.close();
    const reopened = new MemoryStore({ snapshotFile });
    await compareAll(reopened, model, `seed ${SEED} after reload`);
    for (const c of COUNTERS) expect(await reopened.incr(c)).toBe((model.counters.get(c) ?? 0) + 1);
    await reopened.close();
  });
});

const redis = await redisForTests();
describeRedis('RedisStore under 10,000 random operations', redis, (r) => {
  afterAll(() => r.close());

  it('matches the model, also from a second store on the same keys', async () => {
    const keyPrefix = `troupe:{random-${process.pid}}:`;
    const store = await RedisStore.open(r.url, { keyPrefix });
    const model = await run(store, SEED + 1);
    await store.close();
    const reopened = await RedisStore.open(r.url, { keyPrefix });
    await compareAll(reopened, model, `seed ${SEED + 1} after reload`);
    for (const c of COUNTERS) expect(await reopened.incr(c)).toBe((model.counters.get(c) ?? 0) + 1);
    await reopened.close();
  });
});
