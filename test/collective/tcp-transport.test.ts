import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeoutError, UnavailableError } from '../../src/common/errors.js';
import {
  allgather,
  allreduce,
  broadcast,
  TcpPeerTransport,
  type PeerTransport,
  type FloatArray,
} from '../../src/collective/index.js';

const TOKEN = 'test-collective-token';
const FAST = { timeoutMs: 10_000 };
const open: TcpPeerTransport[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function group(size: number, tokens: string[] = []): Promise<TcpPeerTransport[]> {
  const ts = await Promise.all(
    Array.from({ length: size }, (_, rank) => TcpPeerTransport.create({ rank, size, token: tokens[rank] ?? TOKEN })),
  );
  open.push(...ts);
  return ts;
}

async function connected(size: number): Promise<TcpPeerTransport[]> {
  const ts = await group(size);
  const addresses = ts.map((t) => t.address);
  await Promise.all(ts.map((t) => t.connect(addresses, { timeoutMs: 10_000 })));
  return ts;
}

/** Integer-valued inputs so float32 sums are exact whatever the order. */
function input(rank: number, length: number): Float32Array {
  const x = new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = ((rank * 31 + i * 7) % 23) - 11;
  return x;
}

function sameBytes(a: FloatArray, b: FloatArray): boolean {
  return (
    a.constructor === b.constructor &&
    Buffer.compare(
      Buffer.from(a.buffer, a.byteOffset, a.byteLength),
      Buffer.from(b.buffer, b.byteOffset, b.byteLength),
    ) === 0
  );
}

describe('TcpPeerTransport', () => {
  for (const size of [2, 3, 4]) {
    it(`allreduce (sum) over ${size} ranks equals a local sum`, async () => {
      const ts = await connected(size);
      for (const length of [1, 1001, 1 << 20]) {
        const inputs = ts.map((_, r) => input(r, length));
        const want = new Float32Array(length);
        for (const x of inputs) for (let i = 0; i < length; i++) want[i]! += x[i]!;
        const got = await Promise.all(ts.map((t, r) => allreduce(t, inputs[r]!, FAST)));
        for (const g of got) expect(sameBytes(g, want)).toBe(true);
      }
    });
  }

  it('allgather and broadcast over 3 ranks', async () => {
    const ts = await connected(3);
    const segs = ts.map((_, r) => Float64Array.from({ length: 1000 + r }, (_, i) => r * 1e6 + i));
    const lengths = segs.map((s) => s.length);
    const want = new Float64Array(lengths.reduce((a, b) => a + b));
    let at = 0;
    for (const s of segs) {
      want.set(s, at);
      at += s.length;
    }
    const gathered = await Promise.all(ts.map((t, r) => allgather(t, segs[r]!, { ...FAST, lengths })));
    for (const g of gathered) expect(sameBytes(g, want)).toBe(true);

    const data = Float32Array.from({ length: 200_001 }, (_, i) => i % 1000);
    const out = await Promise.all(
      ts.map((t, r) => broadcast(t, r === 1 ? data : undefined, 1, { ...FAST, chunkElems: 50_000 })),
    );
    for (const o of out) expect(sameBytes(o, data)).toBe(true);
  });

  it('matches messages by (from, tag), FIFO, and times out naming the rank and tag', async () => {
    const [a, b] = await connected(2);
    await a!.send(1, 'x', Float32Array.of(1));
    await a!.send(1, 'y', Float32Array.of(2));
    await a!.send(1, 'x', Float32Array.of(3));
    expect(Array.from(await b!.recv(0, 'y', 1000))).toEqual([2]);
    expect(Array.from(await b!.recv(0, 'x', 1000))).toEqual([1]);
    expect(Array.from(await b!.recv(0, 'x', 1000))).toEqual([3]);
    const err = await b!.recv(0, 'z', 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/rank 0/);
    expect((err as Error).message).toMatch(/tag z/);
  });

  it('a peer whose sockets are destroyed mid-allreduce makes the others reject naming it', async () => {
    const ts = await connected(3);
    const victim = ts[2]!;
    // Rank 2 takes part in the first ring step, then its sockets are destroyed.
    const dying: PeerTransport = {
      rank: victim.rank,
      size: victim.size,
      send: (to, tag, data) => victim.send(to, tag, data),
      recv: async (from, tag, timeoutMs) => {
        const got = await victim.recv(from, tag, timeoutMs);
        await victim.close();
        return got;
      },
    };
    const length = 1 << 16;
    const results = await Promise.allSettled([
      allreduce(ts[0]!, input(0, length), { timeoutMs: 5_000 }),
      allreduce(ts[1]!, input(1, length), { timeoutMs: 5_000 }),
      allreduce(dying, input(2, length), { timeoutMs: 5_000 }),
    ]);
    for (const r of results.slice(0, 2)) {
      expect(r.status).toBe('rejected');
      const err = (r as PromiseRejectedResult).reason as Error;
      expect(err).toBeInstanceOf(UnavailableError);
      expect(err.message).toMatch(/rank 2/);
    }
    // Later recvs from the dead rank fail at once too.
    await expect(ts[0]!.recv(2, 'later', 60_000)).rejects.toBeInstanceOf(UnavailableError);
  });

  it('abort tells peers, whose recvs from the aborting rank reject with the reason', async () => {
    const [a, b] = await connected(2);
    const pending = b!.recv(0, 't', 60_000);
    a!.abort(new Error('out of memory'));
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/rank 0 gave up: out of memory/);
  });

  it('refuses a connection with the wrong token and keeps waiting for the right peer', async () => {
    const ts = await group(2);
    // An impostor claiming rank 0 with a bad token.
    const impostor = await TcpPeerTransport.create({ rank: 0, size: 2, token: 'wrong' });
    open.push(impostor);
    const addresses = ts.map((t) => t.address);
    const waiting = ts[1]!.connect(addresses, { timeoutMs: 10_000 });
    await expect(impostor.connect([impostor.address, addresses[1]!], { timeoutMs: 300 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    // A raw socket that sends garbage is dropped too.
    const raw = net.connect(Number(addresses[1]!.split(':')[1]), '127.0.0.1');
    await new Promise<void>((resolve) => {
      raw.on('connect', () => raw.write(Buffer.alloc(64, 1)));
      raw.on('close', () => resolve());
      raw.on('error', () => {});
    });
    await Promise.all([waiting, ts[0]!.connect(addresses, { timeoutMs: 10_000 })]);
    await ts[0]!.send(1, 'ok', Float32Array.of(42));
    expect(Array.from(await ts[1]!.recv(0, 'ok', 5_000))).toEqual([42]);
  });

  it('round-trips a 64 MiB message exactly', async () => {
    const [a, b] = await connected(2);
    const big = new Float64Array((64 * 1024 * 1024) / 8);
    for (let i = 0; i < big.length; i++) big[i] = i * 1.000001 - 7;
    const [, got] = await Promise.all([a!.send(1, 'big', big), b!.recv(0, 'big', 60_000)]);
    expect(got).toBeInstanceOf(Float64Array);
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(big.byteLength);
    const [, back] = await Promise.all([b!.send(0, 'back', got), a!.recv(1, 'back', 60_000)]);
    expect(sameBytes(back, big)).toBe(true);
  }, 60_000);
});
