/**
 * ObjectRefs, put/get/wait/free and large values on an embedded cluster: values go between real
 * actor processes over the data plane, refs are resolved by the callee, failures reach the refs.
 */
import { createHash, randomBytes } from 'node:crypto';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActorMethodError,
  InvalidArgumentError,
  ObjectFreedError,
  OwnerDiedError,
  SerializationError,
  TimeoutError,
  type ActorHandle,
  type Cluster,
} from '../../src/index.js';
import type { Counter, OrderLog, Tensors } from '../fixtures/actors.js';
import { ACTORS, eventually, rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';
import type { ResultBatch__Output } from '../../src/generated/troupe/v1/ResultBatch.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;
let producer: ActorHandle<typeof Tensors>;
let consumer: ActorHandle<typeof Tensors>;

const localSum = (a: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
};

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 8, warmPoolSize: 3 });
  cluster = embedded.driver;
  const T = cluster.actorClass<typeof Tensors>(ACTORS, 'Tensors');
  [producer, consumer] = await Promise.all([T.spawn([]), T.spawn([])]);
}, 60_000);

afterAll(async () => {
  await embedded?.stop();
});

describe('refs between actors', () => {
  it('a ref to a large result is pulled by the consumer straight from the producer', async () => {
    const ref = producer.ref.makeBatch(1 << 20, 3);
    const expected = localSum(makeBatch(1 << 20, 3));
    expect(await consumer.call.checksum(ref)).toBeCloseTo(expected, 0);
    const value = await cluster.get(ref);
    expect(value).toBeInstanceOf(Float32Array);
    expect(value.length).toBe(1 << 20);
    expect(localSum(value)).toBeCloseTo(expected, 0);
  });

  it('a ref to a small result travels inline and reads back', async () => {
    const ref = producer.ref.checksum([1, 2, 3]);
    expect(await cluster.get(ref)).toBe(6);
    expect(await consumer.call.echo(ref)).toBe(6);
  });

  it('resolves refs nested in arrays and objects, each pulled once', async () => {
    const a = producer.ref.makeBatch(100_000, 1);
    const b = producer.ref.makeBatch(50_000, 2);
    const c = await cluster.put(makeBatch(70_000, 5));
    const sum = await consumer.call.sumAll({ a, more: [b, c, b] } as never);
    const expected = [makeBatch(100_000, 1), makeBatch(50_000, 2), makeBatch(70_000, 5), makeBatch(50_000, 2)].reduce(
      (s, x) => s + localSum(x),
      0,
    );
    expect(sum).toBeCloseTo(expected, -1);
  });

  it('a call whose ref argument is not ready yet waits for it and keeps the caller order', async () => {
    const L = cluster.actorClass<typeof OrderLog>(ACTORS, 'OrderLog');
    const log = await L.spawn([]);
    const late = producer.ref.slow(1, 300);
    const calls = [log.call.record('x', late as never), log.call.record('x', 2), log.call.record('x', 3)];
    await Promise.all(calls);
    expect((await log.call.log()).x).toEqual([1, 2, 3]);
    await log.kill();
  });

  it('a ref keeps a snapshot: changing the returned array afterwards does not change the object', async () => {
    const ref = producer.ref.keep(1 << 16);
    await cluster.wait([ref]);
    await producer.call.mutateKept(5);
    expect(localSum(await cluster.get(ref))).toBe(1 << 16);
  });

  it('refs can be constructor arguments', async () => {
    const ref = await cluster.put({ start: 7 });
    const C = cluster.actorClass<typeof Counter>(ACTORS, 'Counter');
    const counter = await C.spawn([ref as never]);
    expect(await counter.call.get()).toEqual({ start: 7 });
    await counter.kill();
  });
});

describe('put, get and wait', () => {
  it('values of every msgpack kind round trip through put/get and through an actor', async () => {
    const values: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      2 ** 31,
      -(2 ** 40),
      Number.MAX_SAFE_INTEGER,
      1.5,
      -0.25,
      Number.NaN,
      '',
      'héllo ✓ 𝄞',
      'x'.repeat(100_000),
      [],
      [1, 'two', [3, [4]], { five: 5 }],
      { nested: { deep: { deeper: [1, null, 'z'] } }, empty: {} },
      new Set([1, 'two', 3]),
      new Date('2026-11-27T12:00:00.000Z'),
      Buffer.from('bytes'),
    ];
    for (const v of values) {
      const ref = await cluster.put(v);
      expect(await cluster.get(ref)).toEqual(v);
      expect(await consumer.call.echo(ref)).toEqual(v);
    }
  });

  it('TypedArrays of each type arrive as the same type, aligned, small and large, as argument and result', async () => {
    const kinds = [
      Int8Array,
      Uint8Array,
      Uint8ClampedArray,
      Int16Array,
      Uint16Array,
      Int32Array,
      Uint32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
      BigUint64Array,
    ];
    for (const K of kinds) {
      for (const n of [5, 40_000]) {
        const a = new K(n);
        for (let i = 0; i < n; i++)
          (a as unknown as Record<number, unknown>)[i] =
            K === BigInt64Array || K === BigUint64Array ? BigInt(i % 100) : i % 100;
        const described = (await consumer.call.describe(a)) as { type: string; byteLength: number; aligned: boolean };
        expect(described).toEqual({ type: K.name, byteLength: a.byteLength, aligned: true });
        const back = await consumer.call.echo(a);
        expect(back).toBeInstanceOf(K);
        expect(back).toEqual(a);
        const viaRef = await cluster.get(await cluster.put(a));
        expect(viaRef).toBeInstanceOf(K);
        expect(viaRef).toEqual(a);
      }
    }
    const buf = randomBytes(200_000);
    const back = (await consumer.call.echo(buf)) as Buffer;
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(back.equals(buf)).toBe(true);
  });

  it('a 256 MiB value moves intact (checked by hash) as an argument, a ref and a result', async () => {
    const big = new Uint8Array(256 << 20);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i >>> 12) & 0xff;
    big.set(randomBytes(1 << 20), 123_457);
    const hash = createHash('sha256').update(big).digest('hex');
    const remoteHash = async (v: unknown): Promise<string> => {
      const back = (await consumer.call.echo(v as Uint8Array)) as Uint8Array;
      return createHash('sha256').update(back).digest('hex');
    };
    expect(await remoteHash(big)).toBe(hash);
    const ref = await cluster.put(big);
    expect(await remoteHash(ref)).toBe(hash);
    cluster.free(ref);
  }, 120_000);

  it('wait returns the ready refs first and honours numReturns and the timeout', async () => {
    const fast = producer.ref.slow('fast', 10);
    const slow = producer.ref.slow('slow', 1500);
    const [ready, notReady] = await cluster.wait([slow, fast], { numReturns: 1, timeoutMs: 5000 });
    expect(ready).toEqual([fast]);
    expect(notReady).toEqual([slow]);
    // On an actor of its own, killed afterwards, so that the 10 s call holds up no later test.
    const sleeper = await cluster.actorClass<typeof Tensors>(ACTORS, 'Tensors').spawn([]);
    const t0 = Date.now();
    const [none, all] = await cluster.wait([sleeper.ref.slow(1, 10_000)], { numReturns: 1, timeoutMs: 100 });
    expect(Date.now() - t0).toBeLessThan(4000); // the alternative is waiting for the 10 s call
    expect(none).toEqual([]);
    expect(all).toHaveLength(1);
    await sleeper.kill();
    const both = await cluster.wait([slow, fast], { numReturns: 2 });
    expect(both[0]).toEqual([slow, fast]);
    expect(await cluster.get(slow)).toBe('slow');
  });

  it('get with a timeout on a ref that is not ready fails with TimeoutError', async () => {
    const err = await rejection(cluster.get(producer.ref.slow(1, 2000), { timeoutMs: 50 }));
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it('refuses bad input with the field named', async () => {
    const r = await cluster.put(1);
    const e1 = await rejection(cluster.wait([r], { numReturns: 2 }));
    expect(e1).toBeInstanceOf(InvalidArgumentError);
    expect((e1 as InvalidArgumentError).field).toBe('numReturns');
    const e2 = await rejection(cluster.get({ id: 'x' } as never));
    expect(e2).toBeInstanceOf(InvalidArgumentError);
    expect(e2.message).toMatch(/expected an ObjectRef/);
    const e3 = await rejection(cluster.put({ inner: r, bad: Symbol('not serializable') }));
    expect(e3).toBeInstanceOf(SerializationError);
    const e4 = await rejection(cluster.wait([r], { timeoutMs: -1 }));
    expect((e4 as InvalidArgumentError).field).toBe('timeoutMs');
  });
});

describe('failures and freeing', () => {
  it('a ref to a failed call rejects with the original error, also when passed on', async () => {
    const ref = producer.ref.fail('nope');
    const err = await rejection(cluster.get(ref));
    expect(err).toBeInstanceOf(ActorMethodError);
    expect(err.message).toMatch(/tensor failure: nope/);
    const passed = await rejection(consumer.call.checksum(ref as never));
    expect(passed).toBeInstanceOf(ActorMethodError);
    expect(passed.message).toMatch(/tensor failure: nope/);
  });

  it('a ref whose owner process died rejects with OwnerDiedError', async () => {
    const T = cluster.actorClass<typeof Tensors>(ACTORS, 'Tensors');
    const doomed = await T.spawn([]);
    const ref = doomed.ref.makeBatch(1 << 18);
    await cluster.wait([ref]);
    await doomed.kill();
    await eventually(async () => (await doomed.state()).state === 'DEAD');
    const err = await rejection(cluster.get(ref, { timeoutMs: 10_000 }));
    expect(err).toBeInstanceOf(OwnerDiedError);
    expect(err.message).toMatch(/is lost/);
    const passed = await rejection(consumer.call.checksum(ref as never));
    expect(passed).toBeInstanceOf(OwnerDiedError);
  });

  it('freed objects really free the memory where they lived, and later gets say so', async () => {
    const ref = producer.ref.makeBatch(32 << 20); // 128 MiB kept in the producer
    await cluster.wait([ref]);
    const peak = await producer.call.arrayBytes();
    expect(peak).toBeGreaterThan(120 << 20);
    cluster.free(ref);
    expect(await eventually(async () => (await producer.call.arrayBytes()) < peak - (100 << 20), 10_000)).toBe(true);
    expect(await rejection(cluster.get(ref))).toBeInstanceOf(ObjectFreedError);
  });

  it('a ref that is garbage collected frees its value', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await (async () => {
      const ref = producer.ref.makeBatch(32 << 20);
      await cluster.wait([ref]);
    })();
    const peak = await producer.call.arrayBytes();
    expect(peak).toBeGreaterThan(120 << 20);
    const freed = await eventually(
      async () => {
        gc();
        return (await producer.call.arrayBytes()) < peak - (100 << 20);
      },
      15_000,
      200,
    );
    expect(freed).toBe(true);
  });

  it('put values live in the driver until freed', async () => {
    const ref = await cluster.put(new Float64Array(1 << 20));
    expect(cluster.objectStats().heldBytes).toBeGreaterThanOrEqual(8 << 20);
    cluster.free(ref);
    expect(cluster.objectStats().heldBytes).toBeLessThan(8 << 20);
  });
});

function makeBatch(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = ((i * 31 + seed) % 1000) / 7;
  return a;
}

describe('malformed object requests', () => {
  it('a raw caller sending a broken ref, an unreachable argument object or an oversize store id gets clear errors; the actor keeps serving', async () => {
    const { makeClient } = await import('../../src/transport/grpc.js');
    const { troupeV1 } = await import('../../src/transport/protos.js');
    const { encode } = await import('../../src/objects/codec.js');
    const { ObjectRef } = await import('../../src/objects/ref.js');
    const { errorFromInfo } = await import('../../src/common/index.js');
    const info = await consumer.state();
    const client = makeClient(troupeV1.ActorHostService, info.address, cluster.token);
    const stream = client.Calls();
    const results = new Map<number, ResultBatch__Output['results'][number]>();
    stream.on('error', () => undefined); // the stream ends with the client below
    stream.on('data', (b: ResultBatch__Output) => b.results.forEach((r) => results.set(r.seq, r)));
    const brokenRef = encode([new ObjectRef({ id: 'x', descriptor: () => 5 as never })]);
    stream.write({
      ownerId: 'raw-test',
      calls: [
        { seq: 1, actorId: info.actorId, method: 'echo', args: brokenRef },
        {
          seq: 2,
          actorId: info.actorId,
          method: 'echo',
          args: Buffer.alloc(0),
          argsObject: { objectId: 'gone', address: '127.0.0.1:1', size: 10 },
        },
        { seq: 3, actorId: info.actorId, method: 'echo', args: encode([1]), storeAs: 'x'.repeat(5000) },
        { seq: 4, actorId: info.actorId, method: 'echo', args: encode(['still here']) },
      ],
    });
    expect(await eventually(() => results.size === 4, 10_000)).toBe(true);
    stream.end();
    client.close();
    const err = (seq: number) => errorFromInfo(results.get(seq)!.error!);
    expect(err(1).code).toBe('SERIALIZATION');
    expect(err(1).message).toMatch(/malformed ObjectRef/);
    expect(err(2)).toBeInstanceOf(OwnerDiedError);
    expect(err(2).message).toMatch(/127\.0\.0\.1:1/);
    expect(err(3)).toBeInstanceOf(InvalidArgumentError);
    expect((err(3) as InvalidArgumentError).field).toBe('store_as');
    const { decode } = await import('../../src/objects/codec.js');
    expect(decode(results.get(4)!.value!)).toBe('still here');
  });
});
