import { spawn } from 'node:child_process';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, TimeoutError, UnavailableError } from '../../src/common/errors.js';
import {
  allgather,
  allreduce,
  memoryGroup,
  reduceScatter,
  segmentBounds,
  TcpPeerTransport,
  type PeerTransport,
  type FloatArray,
} from '../../src/collective/index.js';

const TOKEN = 'test-collective-token';
const open: TcpPeerTransport[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

async function connected(size: number): Promise<TcpPeerTransport[]> {
  const ts = await Promise.all(
    Array.from({ length: size }, (_, rank) => TcpPeerTransport.create({ rank, size, token: TOKEN })),
  );
  open.push(...ts);
  const addresses = ts.map((t) => t.address);
  await Promise.all(ts.map((t) => t.connect(addresses, { timeoutMs: 10_000 })));
  return ts;
}

/** Integer-valued inputs so sums are exact in either precision and any order. */
function input(f64: boolean, rank: number, length: number): FloatArray {
  const x = f64 ? new Float64Array(length) : new Float32Array(length);
  for (let i = 0; i < length; i++) x[i] = ((rank * 31 + i * 7) % 23) - 11;
  return x;
}

function local(inputs: FloatArray[], op: 'sum' | 'mean' | 'max'): FloatArray {
  const out = inputs[0]!.slice();
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    let most = -Infinity;
    for (const x of inputs) {
      sum += x[i]!;
      most = Math.max(most, x[i]!);
    }
    out[i] = op === 'max' ? most : op === 'mean' ? sum / inputs.length : sum;
  }
  return out;
}

function expectClose(got: FloatArray, want: FloatArray): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > 1e-5 * Math.max(1, Math.abs(want[i]!)))
      expect.fail(`index ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

function expectEqual(got: FloatArray, want: FloatArray): void {
  expect(got.constructor).toBe(want.constructor);
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) expect.fail(`index ${i}: got ${got[i]}, want ${want[i]}`);
  }
}

const all = <R>(ts: readonly PeerTransport[], f: (t: PeerTransport) => Promise<R>): Promise<R[]> =>
  Promise.all(ts.map(f));

describe('chunked ring (memory group)', () => {
  for (const n of [2, 3, 4]) {
    for (const chunkElems of [1, 3, 64]) {
      it(`allreduce over ${n} ranks in chunks of ${chunkElems}, odd lengths, every op and output mode`, async () => {
        for (const f64 of [false, true]) {
          for (const len of [0, 1, 5, 97, 1001]) {
            for (const op of ['sum', 'mean', 'max'] as const) {
              const { transports } = memoryGroup(n);
              const inputs = transports.map((t) => input(f64, t.rank, len));
              const want = local(inputs, op);
              for (const mode of ['copy', 'out', 'inPlace'] as const) {
                const ins = inputs.map((x) => x.slice());
                const outs = ins.map((x) => x.slice().fill(-999));
                const got = await all(transports, (t) =>
                  allreduce(t, ins[t.rank]!, {
                    op,
                    chunkElems,
                    timeoutMs: 2000,
                    ...(mode === 'out' ? { out: outs[t.rank]! } : mode === 'inPlace' ? { inPlace: true } : {}),
                  }),
                );
                got.forEach((g, r) => {
                  if (mode === 'out') expect(g).toBe(outs[r]);
                  if (mode === 'inPlace') expect(g).toBe(ins[r]);
                  else expectEqual(ins[r]!, inputs[r]!);
                  if (op === 'mean') expectClose(g, want);
                  else expectEqual(g, want);
                  expectEqual(g, got[0]!); // the same bits everywhere
                });
              }
            }
          }
        }
      });
    }

    it(`reduceScatter and allgather over ${n} ranks in small chunks`, async () => {
      const { transports } = memoryGroup(n);
      const len = 1003;
      const inputs = transports.map((t) => input(false, t.rank, len));
      const want = local(inputs, 'sum');
      const off = segmentBounds(len, n);
      const segs = await all(transports, (t) =>
        reduceScatter(t, inputs[t.rank]!, 'sum', { chunkElems: 7, timeoutMs: 2000 }),
      );
      segs.forEach((s, r) => expectEqual(s, want.subarray(off[r]!, off[r + 1]!).slice()));
      const lengths = segs.map((s) => s.length);
      const full = await all(transports, (t) =>
        allgather(t, segs[t.rank]!, { lengths, chunkElems: 5, timeoutMs: 2000 }),
      );
      for (const f of full) expectEqual(f, want);
    });
  }

  it('rejects an out that is the input or has the wrong shape', async () => {
    const { transports } = memoryGroup(1);
    const x = new Float32Array(4);
    for (const out of [x, new Float32Array(3), new Float64Array(4)]) {
      await expect(allreduce(transports[0]!, x, { out })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
  });

  it('ranks whose lengths differ only beyond the first chunks all reject, naming the peer', async () => {
    const { transports } = memoryGroup(2);
    const results = await Promise.allSettled(
      transports.map((t) =>
        allreduce(t, new Float32Array(t.rank === 0 ? 2000 : 3000), { chunkElems: 500, timeoutMs: 2000 }),
      ),
    );
    for (const r of results) expect(r.status).toBe('rejected');
    const own = results.map((r) => ((r as PromiseRejectedResult).reason as Error).message);
    expect(own.some((m) => /rank [01] passed a Float32Array of (2000|3000)/.test(m))).toBe(true);
  });
});

describe('TcpPeerTransport recvInto', () => {
  it('lands a large message in place in a view, whether it arrives before or after the call', async () => {
    const [a, b] = await connected(2);
    const msg = Float32Array.from({ length: 300_001 }, (_, i) => i * 0.5);
    // Posted first: read straight into the view.
    const dest = new Float32Array(400_000).fill(-1);
    const view = dest.subarray(50_000, 350_001);
    await Promise.all([b!.recvInto(0, 'big', view, 5000), a!.send(1, 'big', msg)]);
    expectEqual(view, msg);
    expect(dest[49_999]).toBe(-1);
    expect(dest[350_001]).toBe(-1);
    // Arrived first: queued, then copied.
    await a!.send(1, 'late', msg);
    await sleep(20);
    const later = new Float32Array(msg.length);
    await b!.recvInto(0, 'late', later, 5000);
    expectEqual(later, msg);
    // Small messages, FIFO per tag, mixed with recv.
    const small = new Float64Array(3);
    const p1 = b!.recvInto(0, 's', small, 5000);
    const p2 = b!.recv(0, 's', 5000);
    await a!.send(1, 's', Float64Array.of(1, 2, 3));
    await a!.send(1, 's', Float64Array.of(4));
    await p1;
    expect(Array.from(small)).toEqual([1, 2, 3]);
    expect(Array.from(await p2)).toEqual([4]);
  });

  it('rejects a message of the wrong length or type, naming the rank, and stays usable', async () => {
    const [a, b] = await connected(2);
    for (const [sent, dest] of [
      [new Float32Array(10_000), new Float32Array(9_999)],
      [new Float64Array(10), new Float32Array(10)],
    ] as const) {
      const got = b!.recvInto(0, 'x', dest, 5000);
      await a!.send(1, 'x', sent);
      const err = await got.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(/rank 0 sent a Float(32|64)Array of \d+ \(tag x\), expected/);
    }
    await a!.send(1, 'ok', Float32Array.of(7));
    expect(Array.from(await b!.recv(0, 'ok', 5000))).toEqual([7]);
  });

  it('times out naming the rank and the tag', async () => {
    const [, b] = await connected(2);
    const err = await b!.recvInto(0, 'never', new Float32Array(4), 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('rank 0 did not send within 50 ms (tag never)');
  });

  it('a peer that stalls in the middle of a payload fails the recvInto naming it, and is dropped', async () => {
    // A hand-made rank 0 speaking the wire protocol: it answers rank 1's dial, dials rank 1, then
    // sends the first 100 KiB of a 1 MiB DATA frame and stops.
    const real = await TcpPeerTransport.create({ rank: 1, size: 2, token: TOKEN });
    open.push(real);
    const frame = (type: number, dtype: number, tag: string, payloadBytes: number, payload?: Buffer): Buffer => {
      const t = Buffer.from(tag);
      const h = Buffer.alloc(20);
      h.writeUInt32BE(0x5452434c, 0);
      h.writeUInt8(2, 4);
      h.writeUInt8(type, 5);
      h.writeUInt8(dtype, 6);
      h.writeUInt32BE(t.length, 8);
      h.writeUInt32BE(payloadBytes, 16);
      return Buffer.concat([h, t, payload ?? Buffer.alloc(0)]);
    };
    const hello = () => {
      const p = Buffer.alloc(8);
      p.writeUInt32BE(0, 0);
      p.writeUInt32BE(2, 4);
      const payload = Buffer.concat([p, Buffer.from(TOKEN)]);
      return frame(1, 0, '', payload.length, payload);
    };
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.once('data', () => s.write(hello()));
      s.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const fakeAddress = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const connecting = real.connect([fakeAddress, real.address], { timeoutMs: 10_000 });
    const toReal = net.connect(Number(real.address.split(':')[1]), '127.0.0.1');
    sockets.push(toReal);
    toReal.on('error', () => {});
    toReal.on('connect', () => toReal.write(hello()));
    await connecting;
    try {
      const dest = new Float32Array(256 * 1024);
      const pending = real.recvInto(0, 'stuck', dest, 200);
      // Rank 0 writes DATA on the connection that rank 1 dialed.
      const out = sockets.find((s) => s !== toReal)!;
      out.write(frame(2, 1, 'stuck', dest.byteLength, Buffer.alloc(100 * 1024, 1)));
      const err = await pending.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect((err as Error).message).toMatch(/rank 0 stalled for 200 ms in the middle of a message \(tag stuck\)/);
      await expect(real.recv(0, 'after', 5000)).rejects.toBeInstanceOf(UnavailableError);
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
    }
  });
});

describe('ring over TcpPeerTransport', () => {
  for (const n of [2, 3, 4]) {
    it(`allreduce sum/mean/max over ${n} ranks, odd lengths, chunks read in place, equals local`, async () => {
      const ts = await connected(n);
      for (const f64 of [false, true]) {
        for (const len of [3, 100_003]) {
          for (const op of ['sum', 'mean', 'max'] as const) {
            const inputs = ts.map((t) => input(f64, t.rank, len));
            const want = local(inputs, op);
            const outs = inputs.map((x) => x.slice());
            const opts = { op, chunkElems: 8191, timeoutMs: 10_000 };
            const copies = await Promise.all(ts.map((t) => allreduce(t, inputs[t.rank]!, opts)));
            const reused = await Promise.all(
              ts.map((t) => allreduce(t, inputs[t.rank]!, { ...opts, out: outs[t.rank]! })),
            );
            const inPlace = await Promise.all(
              ts.map((t) => allreduce(t, inputs[t.rank]!.slice(), { ...opts, inPlace: true })),
            );
            for (const g of [...copies, ...reused, ...inPlace]) {
              if (op === 'mean') expectClose(g, want);
              else expectEqual(g, want);
              expectEqual(g, copies[0]!);
            }
          }
        }
      }
    }, 60_000);
  }

  it('a rank that is silent makes the others fail, naming it', async () => {
    const ts = await connected(3);
    const results = await Promise.allSettled(
      ts.slice(0, 2).map((t) => allreduce(t, new Float32Array(1000), { timeoutMs: 300 })),
    );
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(((r as PromiseRejectedResult).reason as Error).message).toContain('rank 2 did not send within 300 ms');
    }
  });

  it('a rank process killed mid-allreduce makes every other rank fail, naming it', async () => {
    const n = 3;
    const length = 1 << 20;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        fileURLToPath(new URL('./rank-child.ts', import.meta.url)),
        '2',
        String(n),
        String(length),
        '40',
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const lines = createInterface({ input: child.stdout });
      const next = () => new Promise<string>((resolve) => lines.once('line', resolve));
      const childAddress = await next();
      const ts = await Promise.all([0, 1].map((rank) => TcpPeerTransport.create({ rank, size: n, token: TOKEN })));
      open.push(...ts);
      const addresses = [ts[0]!.address, ts[1]!.address, childAddress];
      child.stdin.write(`${JSON.stringify(addresses)}\n`);
      await Promise.all(ts.map((t) => t.connect(addresses, { timeoutMs: 10_000 })));
      const results = await Promise.allSettled(
        ts.map((t) => allreduce(t, new Float32Array(length).fill(t.rank), { timeoutMs: 30_000, chunkElems: 4096 })),
      );
      for (const r of results) {
        expect(r.status).toBe('rejected');
        const err = (r as PromiseRejectedResult).reason as Error;
        expect(err).toBeInstanceOf(UnavailableError);
        expect(err.message).toMatch(/rank 2( closed its connection|: send failed)/);
      }
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
