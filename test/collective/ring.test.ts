import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TimeoutError, UnavailableError } from '../../src/common/errors.js';
import {
  allgather,
  allreduce,
  barrier,
  broadcast,
  memoryGroup,
  reduceScatter,
  segmentBounds,
  type PeerTransport,
  type FloatArray,
} from '../../src/collective/index.js';

const SIZES = [2, 3, 4];
const LENGTHS = [0, 1, 2, 3, 7, 1000, 1001];
const KINDS = [
  ['Float32Array', (n: number) => new Float32Array(n)],
  ['Float64Array', (n: number) => new Float64Array(n)],
] as const;
const FAST = { timeoutMs: 2000 };

/** Integer-valued inputs so sums are exact in either precision. */
function input(make: (n: number) => FloatArray, rank: number, length: number): FloatArray {
  const x = make(length);
  for (let i = 0; i < length; i++) x[i] = ((rank * 31 + i * 7) % 23) - 11;
  return x;
}

function local(inputs: FloatArray[], op: 'sum' | 'mean' | 'max'): number[] {
  const out: number[] = [];
  for (let i = 0; i < inputs[0]!.length; i++) {
    const col = inputs.map((x) => x[i]!);
    const sum = col.reduce((a, b) => a + b, 0);
    out.push(op === 'max' ? Math.max(...col) : op === 'mean' ? sum / col.length : sum);
  }
  return out;
}

function expectClose(got: FloatArray, want: number[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > 1e-5 * Math.max(1, Math.abs(want[i]!))) {
      expect.fail(`index ${i}: got ${got[i]}, want ${want[i]}`);
    }
  }
}

const all = <R>(ts: readonly PeerTransport[], f: (t: PeerTransport) => Promise<R>): Promise<R[]> =>
  Promise.all(ts.map(f));

describe.each(KINDS)('%s', (_kind, make) => {
  describe.each(SIZES)('%i ranks', (n) => {
    it.each(LENGTHS)('allreduce sum/mean/max, length %i', async (len) => {
      const { transports } = memoryGroup(n);
      const inputs = transports.map((t) => input(make, t.rank, len));
      const before = inputs.map((x) => Array.from(x));
      for (const op of ['sum', 'mean', 'max'] as const) {
        const out = await all(transports, (t) => allreduce(t, inputs[t.rank]!, { ...FAST, op }));
        for (const o of out) {
          expect(o.constructor).toBe(inputs[0]!.constructor);
          if (op === 'mean') expectClose(o, local(inputs, op));
          else expect(Array.from(o)).toEqual(local(inputs, op));
        }
        // Every rank gets the same bits, and the caller's input is untouched.
        for (const o of out) expect(Array.from(o)).toEqual(Array.from(out[0]!));
        expect(inputs.map((x) => Array.from(x))).toEqual(before);
      }
    });

    it.each(LENGTHS)('reduceScatter then allgather with per-rank lengths, length %i', async (len) => {
      const { transports } = memoryGroup(n);
      const inputs = transports.map((t) => input(make, t.rank, len));
      const want = local(inputs, 'sum');
      const off = segmentBounds(len, n);
      const segs = await all(transports, (t) => reduceScatter(t, inputs[t.rank]!, 'sum', FAST));
      segs.forEach((s, r) => expect(Array.from(s)).toEqual(want.slice(off[r], off[r + 1])));
      const lengths = segs.map((s) => s.length);
      const full = await all(transports, (t) => allgather(t, segs[t.rank]!, { ...FAST, lengths }));
      for (const f of full) expect(Array.from(f)).toEqual(want);
    });

    it.each(LENGTHS)('allgather of equal segments, length %i', async (len) => {
      const { transports } = memoryGroup(n);
      const inputs = transports.map((t) => input(make, t.rank, len));
      const out = await all(transports, (t) => allgather(t, inputs[t.rank]!, FAST));
      const want = inputs.flatMap((x) => Array.from(x));
      for (const o of out) expect(Array.from(o)).toEqual(want);
    });

    it.each(LENGTHS)('broadcast from each root, length %i', async (len) => {
      for (let root = 0; root < n; root++) {
        const { transports } = memoryGroup(n);
        const data = input(make, root, len);
        // Small chunks exercise the pipeline; odd ranks receive into their own buffer.
        const out = await all(transports, (t) =>
          broadcast(t, t.rank === root ? data : t.rank % 2 ? make(len) : undefined, root, { ...FAST, chunkElems: 64 }),
        );
        out.forEach((o, r) => {
          expect(o.constructor).toBe(data.constructor);
          expect(Array.from(o)).toEqual(Array.from(data));
          if (r === root) expect(o).toBe(data);
        });
      }
    });
  });
});

describe('allreduce options', () => {
  it('inPlace reduces into the caller array', async () => {
    const { transports } = memoryGroup(3);
    const inputs = transports.map((t) => Float32Array.of(t.rank, 1, 2, 3));
    const out = await all(transports, (t) => allreduce(t, inputs[t.rank]!, { ...FAST, inPlace: true }));
    out.forEach((o, r) => {
      expect(o).toBe(inputs[r]);
      expect(Array.from(o)).toEqual([3, 3, 6, 9]);
    });
  });

  it('a single rank returns a copy', async () => {
    const { transports } = memoryGroup(1);
    const x = Float64Array.of(1, 2);
    const out = await allreduce(transports[0]!, x, { op: 'mean' });
    expect(out).not.toBe(x);
    expect(Array.from(out)).toEqual([1, 2]);
  });

  it('mismatched lengths reject on every rank instead of corrupting data', async () => {
    const { transports } = memoryGroup(3);
    const results = await Promise.allSettled(
      transports.map((t) => allreduce(t, new Float32Array(t.rank === 1 ? 5 : 6), FAST)),
    );
    for (const r of results) expect(r.status).toBe('rejected');
  });
});

/** Wraps rank `victim` so that it dies (group.fail) at its `afterSends`-th send. */
function dying(group: ReturnType<typeof memoryGroup>, victim: number, afterSends: number): PeerTransport[] {
  return group.transports.map((t) => {
    if (t.rank !== victim) return t;
    let sends = 0;
    return {
      rank: t.rank,
      size: t.size,
      send: (to, tag, data) => {
        if (++sends === afterSends) group.fail(victim, 'killed by test');
        return t.send(to, tag, data);
      },
      recv: (from, tag, ms) => t.recv(from, tag, ms),
    };
  });
}

describe('failures', () => {
  it.each(SIZES)('a rank failing mid-allreduce rejects every other rank, naming it (%i ranks)', async (n) => {
    for (let victim = 0; victim < n; victim++) {
      const group = memoryGroup(n);
      const ts = dying(group, victim, 2);
      const start = Date.now();
      const results = await Promise.allSettled(
        ts.map((t) => allreduce(t, new Float32Array(1001), { timeoutMs: 10_000 })),
      );
      expect(Date.now() - start).toBeLessThan(4000); // abort propagates; nobody waits out the 10 s timeout
      results.forEach((res, r) => {
        if (r === victim) return;
        expect(res.status).toBe('rejected');
        const err = (res as PromiseRejectedResult).reason as Error;
        expect(err).toBeInstanceOf(UnavailableError);
        expect(err.message).toMatch(new RegExp(`rank ${victim} failed: killed by test`));
        expect(err.message).toMatch(/^allreduce step \d+: /);
      });
    }
  });

  it('a silent rank times out its neighbour, and the others learn why', async () => {
    const { transports } = memoryGroup(4);
    const results = await Promise.allSettled(
      transports.filter((t) => t.rank !== 3).map((t) => allreduce(t, new Float64Array(10), { timeoutMs: 100 })),
    );
    const errs = results.map((r) => (r as PromiseRejectedResult).reason as Error);
    expect(errs[0]).toBeInstanceOf(TimeoutError);
    expect(errs[0]!.message).toBe('allreduce step 1: rank 3 did not send within 100 ms (tag allreduce:1)');
    for (const e of errs) expect(e.message).toContain('rank 3 did not send within 100 ms');
  });

  it('a rank failing mid-broadcast rejects the ranks downstream of it', async () => {
    const group = memoryGroup(4);
    const ts = dying(group, 1, 3);
    const results = await Promise.allSettled(
      ts.map((t) =>
        broadcast(t, t.rank === 0 ? new Float32Array(100) : undefined, 0, { timeoutMs: 5000, chunkElems: 10 }),
      ),
    );
    for (const r of [2, 3]) {
      expect(((results[r] as PromiseRejectedResult).reason as Error).message).toContain('rank 1 failed');
    }
  });
});

describe('barrier', () => {
  it.each([2, 3, 4, 5])('releases only when all %i ranks arrived', async (n) => {
    const { transports } = memoryGroup(n);
    const released: number[] = [];
    const early = transports.slice(0, n - 1).map((t) => barrier(t, FAST).then(() => released.push(t.rank)));
    await sleep(30);
    expect(released).toEqual([]);
    await Promise.all([...early, barrier(transports[n - 1]!, FAST)]);
    expect(released.sort()).toEqual(transports.slice(0, n - 1).map((t) => t.rank));
  });

  it('rejects naming the rank that never arrived', async () => {
    const { transports } = memoryGroup(3);
    const results = await Promise.allSettled(transports.slice(0, 2).map((t) => barrier(t, { timeoutMs: 50 })));
    for (const r of results) expect(((r as PromiseRejectedResult).reason as Error).message).toContain('rank 2');
  });
});
