/** What only RedisStore has: passwords, the key layout, foreign data under its keys, opening by URL. */
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { ErrorCode } from '../../src/common/errors.js';
import { openStore, RedisStore } from '../../src/state/index.js';
import { troupeError } from './contract.js';
import { describeRedis, redisForTests } from './redis-harness.js';
import { actorRow, opaqueRow } from './rows-fixture.js';

const PASSWORD = 'pa55:w@rd/ü';
const [plain, guarded] = await Promise.all([redisForTests(), redisForTests({ args: ['--requirepass', PASSWORD] })]);

describeRedis('RedisStore data under its keys', plain, (r) => {
  const raw = new Redis(r.url, { lazyConnect: true });
  afterAll(async () => {
    raw.disconnect();
    await r.close();
  });
  let n = 0;
  const fresh = async () => {
    const keyPrefix = `troupe:{redis-${process.pid}-${++n}}:`;
    return { keyPrefix, store: await RedisStore.open(r.url, { keyPrefix }) };
  };

  it('keeps one hash per table, a names hash, a hash per kv namespace and a counters hash', async () => {
    const { keyPrefix: p, store } = await fresh();
    await store.commit([
      { op: 'put', table: 'actors', id: 'a1', row: actorRow('a1') },
      { op: 'claimName', namespace: 'ns', name: 'c', actorId: 'a1' },
      { op: 'kvPut', namespace: 'ckpt', key: 'k', value: new Uint8Array([0, 255]) },
    ]);
    await store.incr('incarnation');
    expect(JSON.parse((await raw.hget(`${p}actors`, 'a1'))!)).toEqual({ v: 1, row: actorRow('a1') });
    expect(await raw.hgetall(`${p}names`)).toEqual({ 'ns\0c': 'a1' });
    expect(await raw.hgetBuffer(`${p}kv:ckpt`, 'k')).toEqual(Buffer.from([0, 255]));
    expect(await raw.hget(`${p}counters`, 'incarnation')).toBe('1');
    expect(store.description).toContain(p);
    await store.close();
  });

  it('names a row that is not JSON', async () => {
    const { keyPrefix: p, store } = await fresh();
    await raw.hset(`${p}nodes`, 'n1', 'garbage{');
    const err = await troupeError(store.list('nodes'), ErrorCode.STATE_CORRUPT);
    expect(err.message).toContain(`${p}nodes field "n1" is not JSON`);
    expect(err.context).toMatchObject({ key: `${p}nodes`, field: 'n1' });
    await store.close();
  });

  it('names a key of the wrong Redis type, and a commit touching it writes nothing', async () => {
    const { keyPrefix: p, store } = await fresh();
    await raw.set(`${p}actors`, 'not a hash');
    const listed = await troupeError(store.list('actors'), ErrorCode.STATE_CORRUPT);
    expect(listed.context.key).toBe(`${p}actors`);
    expect(listed.message).toContain(`${p}actors`);
    const committed = await troupeError(
      store.commit([
        { op: 'put', table: 'jobs', id: 'j1', row: opaqueRow('j1') },
        { op: 'put', table: 'actors', id: 'a1', row: actorRow('a1') },
      ]),
      ErrorCode.STATE_CORRUPT,
    );
    expect(committed.context.key).toBe(`${p}actors`);
    expect(await store.get('jobs', 'j1')).toBeUndefined();
    await store.close();
  });

  it('names foreign entries in the names and counters hashes', async () => {
    const { keyPrefix: p, store } = await fresh();
    await raw.hset(`${p}names`, 'no-separator', 'a1');
    const names = await troupeError(store.listNames(), ErrorCode.STATE_CORRUPT);
    expect(names.context).toMatchObject({ key: `${p}names`, field: 'no-separator' });
    await raw.hset(`${p}counters`, 'incarnation', 'many');
    expect((await troupeError(store.incr('incarnation'), ErrorCode.STATE_CORRUPT)).context.key).toBe(`${p}counters`);
    await store.close();
  });

  it('opens by URL, and rejects bad URLs and prefixes with the form expected', async () => {
    const store = await openStore(r.url, { keyPrefix: `troupe:{open-${process.pid}}:` });
    expect(store.kind).toBe('redis');
    await store.close();
    const badPort = await troupeError(openStore('redis://127.0.0.1:99999'), ErrorCode.INVALID_ARGUMENT);
    expect(badPort.message).toMatch(/between 1 and 65535.*redis\+sentinel:\/\//);
    const unknown = await troupeError(openStore('postgres://user:secret@db/x'), ErrorCode.INVALID_ARGUMENT);
    expect(unknown.message).toContain('memory:///path/to/snapshot.json');
    expect(unknown.message).not.toContain('secret');
    const prefix = await troupeError(RedisStore.open(r.url, { keyPrefix: 'troupe:' }), ErrorCode.INVALID_ARGUMENT);
    expect(prefix.message).toMatch(/hash tag/);
  });

  it('fails to open, with the URL and no password, when nothing listens', async () => {
    const err = await troupeError(openStore('redis://:hunter2@127.0.0.1:1/0'), ErrorCode.STATE_UNAVAILABLE);
    expect(err.message).toContain('redis://127.0.0.1:1/0');
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain('hunter2');
  });
});

describeRedis('RedisStore with a password', guarded, (r) => {
  afterAll(() => r.close());
  const hostPort = new URL(r.url).host;

  it('takes the password from the URL, percent-encoded, and never shows it', async () => {
    const store = await RedisStore.open(`redis://:${encodeURIComponent(PASSWORD)}@${hostPort}/2`);
    await store.put('jobs', 'j1', opaqueRow('j1'));
    expect(await store.get('jobs', 'j1')).toEqual(opaqueRow('j1'));
    expect(store.description).toBe(`redis://${hostPort}/2 (keys troupe:{default}:*)`);
    await store.close();
  });

  it('takes the password from TROUPE_REDIS_PASSWORD', async () => {
    const store = await RedisStore.open(r.url, { env: { TROUPE_REDIS_PASSWORD: PASSWORD } });
    await store.ping();
    expect(store.description).not.toContain(PASSWORD);
    await store.close();
  });

  it('says to check the password when it is wrong or missing', async () => {
    for (const url of [`redis://:wrong-one@${hostPort}`, r.url]) {
      const err = await troupeError(RedisStore.open(url, { env: {} }), ErrorCode.STATE_UNAVAILABLE);
      expect(err.message).toMatch(/TROUPE_REDIS_PASSWORD/);
      expect(err.message).not.toContain('wrong-one');
    }
  });
});
