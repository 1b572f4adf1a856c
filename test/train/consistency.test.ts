import { describe, expect, it } from 'vitest';
import { TimeoutError } from '../../src/common/index.js';
import { Consistency, type Gradient, type Update } from '../../src/train/fleet/consistency.js';
import type { UpdatePolicy } from '../../src/train/fleet/protocol.js';

function make(policy: UpdatePolicy, trainers: number, timeoutMs = 60_000) {
  const applied: Update[] = [];
  const c = new Consistency(policy, trainers, timeoutMs, (u) => {
    applied.push(u);
  });
  for (let t = 0; t < trainers; t++) c.join(t);
  return { c, applied };
}

function g(trainer: number, clock: number, values: number[], samples = 1, readVersion = clock): Gradient {
  return { trainer, clock, readVersion, grad: Float32Array.from(values), samples, loss: trainer + 1 };
}

/** Whether p has settled after the microtasks and timers queued now have run. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setTimeout(r, 5));
  return done;
}

describe('BSP', () => {
  it('applies the samples-weighted mean of one gradient per trainer and advances the version', async () => {
    const { c, applied } = make({ mode: 'bsp', trainers: 2, backupWorkers: 0 }, 2);
    const a = c.push(g(0, 0, [1, 2], 1));
    expect(await settled(a)).toBe(false);
    const b = c.push(g(1, 0, [4, 8], 3));
    expect(await a).toEqual({ accepted: true, version: 1, clock: 1 });
    expect(await b).toEqual({ accepted: true, version: 1, clock: 1 });
    expect(applied.length).toBe(1);
    expect([...applied[0]!.grad]).toEqual([(1 + 12) / 4, (2 + 24) / 4]);
    expect(applied[0]!.samples).toBe(4);
    expect(applied[0]!.loss).toBeCloseTo((1 + 2 * 3) / 4);
  });

  it('with a backup worker takes the first n gradients and drops the straggler', async () => {
    const { c, applied } = make({ mode: 'bsp', trainers: 2, backupWorkers: 1 }, 3);
    const a = c.push(g(2, 0, [1]));
    const b = c.push(g(0, 0, [3]));
    expect((await a).accepted).toBe(true);
    expect((await b).accepted).toBe(true);
    expect(await c.push(g(1, 0, [100]))).toEqual({ accepted: false, version: 1, clock: 1 });
    expect(applied.map((u) => [...u.grad])).toEqual([[2]]);
    expect(c.dropped).toBe(1);
  });

  it('holds a push for a future clock until the version reaches it', async () => {
    const { c, applied } = make({ mode: 'bsp', trainers: 2, backupWorkers: 0 }, 2);
    const first = c.push(g(0, 0, [1]));
    const ahead = c.push(g(0, 1, [10]));
    expect(await settled(ahead)).toBe(false);
    await c.push(g(1, 0, [3]));
    await first;
    expect(await settled(ahead)).toBe(false);
    const other = c.push(g(1, 1, [20]));
    expect(await ahead).toEqual({ accepted: true, version: 2, clock: 2 });
    await other;
    expect(applied.map((u) => [...u.grad])).toEqual([[2], [15]]);
  });

  it('a step of only 0-sample gradients applies nothing but advances the version', async () => {
    const { c, applied } = make({ mode: 'bsp', trainers: 2, backupWorkers: 0 }, 2);
    const a = c.push(g(0, 0, [5], 0));
    await c.push(g(1, 0, [7], 2));
    await a;
    const b = c.push(g(0, 1, [9], 0));
    expect(await Promise.all([b, c.push(g(1, 1, [9], 0))])).toEqual([
      { accepted: true, version: 2, clock: 2 },
      { accepted: true, version: 2, clock: 2 },
    ]);
    expect(applied.map((u) => [...u.grad])).toEqual([[7]]);
  });

  it('leave lets the barrier go on without the trainer', async () => {
    const { c } = make({ mode: 'bsp', trainers: 3, backupWorkers: 0 }, 3);
    const a = c.push(g(0, 0, [1]));
    const b = c.push(g(1, 0, [1]));
    expect(await settled(a)).toBe(false);
    c.leave(2);
    expect((await a).version).toBe(1);
    await b;
    expect(c.join(2)).toEqual({ clock: 1, version: 1 });
  });

  it('a timeout names the late trainers', async () => {
    const { c } = make({ mode: 'bsp', trainers: 3, backupWorkers: 0 }, 3, 20);
    const err = await c.push(g(0, 0, [1])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('BSP step 0 waited 20 ms for the gradients of trainers 1, 2');
  });
});

describe('SSP', () => {
  it('a fast trainer blocks when more than s ahead and goes on when the slow one pushes', async () => {
    const { c, applied } = make({ mode: 'ssp', staleness: 1 }, 2);
    expect(await c.push(g(0, 0, [1]))).toMatchObject({ clock: 1 });
    const blocked = c.push(g(0, 1, [1]));
    expect(await settled(blocked)).toBe(false);
    expect(applied.length).toBe(2);
    await c.push(g(1, 0, [1]));
    expect(await blocked).toMatchObject({ accepted: true, clock: 2 });
    expect(c.reads).toEqual([
      [0, 1, 0],
      [0, 2, 1],
      [1, 1, 1],
    ]);
    expect(c.waits).toEqual([2, 1]);
  });

  it('leave and rejoin: a gone trainer blocks no one; rejoining takes the slowest clock', async () => {
    const { c } = make({ mode: 'ssp', staleness: 0 }, 3);
    await Promise.all([c.push(g(0, 0, [1])), c.push(g(1, 0, [1])), c.push(g(2, 0, [1]))]);
    const blocked = c.push(g(0, 1, [1]));
    expect(await settled(blocked)).toBe(false);
    c.leave(2);
    expect(await settled(blocked)).toBe(false);
    const one = c.push(g(1, 1, [1]));
    await Promise.all([blocked, one]);
    expect(c.join(2)).toEqual({ clock: 2, version: 5 });
  });

  it('a timeout names the slow trainer and its clock', async () => {
    const { c } = make({ mode: 'ssp', staleness: 0 }, 2, 20);
    const err = await c.push(g(1, 0, [1])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('trainer 1 at clock 1 waited 20 ms: trainer 0 is at clock 0 (staleness 0)');
  });
});

describe('async', () => {
  it('applies on arrival and records version at apply − readVersion', async () => {
    const { c, applied } = make({ mode: 'async' }, 2);
    await c.push(g(0, 0, [1], 1, 0));
    await c.push(g(1, 0, [1], 1, 0));
    await c.push(g(0, 1, [1], 1, 1));
    await c.push(g(1, 1, [1], 1, 0));
    expect(applied.length).toBe(4);
    expect(c.staleness).toEqual([1, 2, undefined, 1]);
    expect(c.version).toBe(4);
  });
});
