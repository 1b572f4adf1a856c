import { describe, it, expect } from 'vitest';
import { InvalidArgumentError, ResourcesInfeasibleError } from '../../src/common/errors.js';
import { formatResources, validateResourceRequest, type ResourceMap } from '../../src/head/resources.js';
import {
  Scheduler,
  type Allocation,
  type PlaceResult,
  type PlacementRequest,
  type SchedulingStrategy,
} from '../../src/head/scheduler.js';

const GiB = 1024 ** 3;

function req(resources: ResourceMap, strategy: SchedulingStrategy = 'DEFAULT', extra: Partial<PlacementRequest> = {}) {
  return { resources, strategy, ...extra };
}
function placed(r: PlaceResult): Allocation {
  if (r.type !== 'placed') throw new Error(`expected placed, got ${r.type}: ${JSON.stringify(r)}`);
  return r.allocation;
}
function nodeOf(s: Scheduler, resources: ResourceMap, strategy: SchedulingStrategy = 'DEFAULT'): string {
  return placed(s.place(req(resources, strategy))).nodeId;
}
function cluster(n: number, total: ResourceMap, gpus = 0, options = {}): Scheduler {
  const s = new Scheduler(options);
  for (let i = 1; i <= n; i++) s.addNode(`n${i}`, total, gpus);
  return s;
}
function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('Scheduler DEFAULT (hybrid)', () => {
  it('packs onto the first node up to the threshold, then spreads to the least used', () => {
    const s = cluster(3, { CPU: 4 });
    const seq = Array.from({ length: 7 }, () => nodeOf(s, { CPU: 1 }));
    // 0.25, 0.5 on n1; n1 would reach 0.75, so n2 gets two; then n3; then all would be 0.75 → n1.
    expect(seq).toEqual(['n1', 'n1', 'n2', 'n2', 'n3', 'n3', 'n1']);
  });

  it('honours spreadThreshold: 1 packs fully, 0 spreads at once', () => {
    const pack = cluster(2, { CPU: 2 }, 0, { spreadThreshold: 1 });
    expect([nodeOf(pack, { CPU: 1 }), nodeOf(pack, { CPU: 1 }), nodeOf(pack, { CPU: 1 })]).toEqual(['n1', 'n1', 'n2']);
    const spread = cluster(2, { CPU: 2 }, 0, { spreadThreshold: 0 });
    expect([nodeOf(spread, { CPU: 1 }), nodeOf(spread, { CPU: 1 })]).toEqual(['n1', 'n2']);
    expect(() => new Scheduler({ spreadThreshold: 2 })).toThrow(InvalidArgumentError);
  });

  it('counts utilisation over every resource the node has', () => {
    const s = new Scheduler();
    s.addNode('n1', { CPU: 8, memory: 4 * GiB }, 0);
    s.addNode('n2', { CPU: 8, memory: 4 * GiB }, 0);
    // Memory goes to 75% on n1 although CPU stays low, so n2 is chosen.
    expect(nodeOf(s, { CPU: 1, memory: 3 * GiB })).toBe('n1');
    expect(nodeOf(s, { CPU: 1 })).toBe('n2');
  });

  it('places an empty request on the first node', () => {
    const s = cluster(2, { CPU: 1 });
    placed(s.place(req({ CPU: 1 })));
    expect(placed(s.place(req({}))).nodeId).toBe('n1');
    expect(s.available('n1')).toEqual({ CPU: 0 });
  });
});

describe('Scheduler SPREAD', () => {
  it('goes round-robin across equal nodes', () => {
    const s = cluster(3, { CPU: 4 });
    const seq = Array.from({ length: 6 }, () => nodeOf(s, { CPU: 1 }, 'SPREAD'));
    expect(seq).toEqual(['n1', 'n2', 'n3', 'n1', 'n2', 'n3']);
  });

  it('breaks ties round-robin even when placement does not change utilisation', () => {
    const s = cluster(3, { CPU: 4 });
    const seq = Array.from({ length: 4 }, () => nodeOf(s, {}, 'SPREAD'));
    expect(seq).toEqual(['n1', 'n2', 'n3', 'n1']);
  });

  it('prefers the least used node over round-robin order', () => {
    const s = cluster(3, { CPU: 4 });
    placed(s.place(req({ CPU: 3 }, 'DEFAULT', { nodeAffinity: { nodeId: 'n2', soft: false } })));
    placed(s.place(req({ CPU: 1 }, 'DEFAULT', { nodeAffinity: { nodeId: 'n1', soft: false } })));
    expect(nodeOf(s, { CPU: 1 }, 'SPREAD')).toBe('n3');
  });
});

describe('GPU devices', () => {
  it('packs fractional GPUs onto one device, best fit first', () => {
    const s = cluster(1, { CPU: 8 }, 2);
    expect(s.total('n1')).toEqual({ CPU: 8, GPU: 2 });
    const ids = [0.5, 0.25, 0.5, 0.25].map((g) => placed(s.place(req({ GPU: g }))).gpuIds);
    // Device 0 takes 0.5 and 0.25; 0.5 no longer fits there so it goes to 1; the last 0.25 fills 0.
    expect(ids).toEqual([[0], [0], [1], [0]]);
    expect(s.available('n1').GPU).toBe(0.5);
    // 0.5 GPU free in all, but no whole device: a whole GPU waits.
    expect(s.place(req({ GPU: 1 })).type).toBe('wait');
  });

  it('puts a fraction on the fullest device that still fits, not the first', () => {
    const s = cluster(1, { CPU: 8 }, 2);
    const whole = placed(s.place(req({ GPU: 1 })));
    expect(placed(s.place(req({ GPU: 0.5 }))).gpuIds).toEqual([1]);
    s.release(whole);
    expect(placed(s.place(req({ GPU: 0.25 }))).gpuIds).toEqual([1]);
    expect(placed(s.place(req({ GPU: 1 }))).gpuIds).toEqual([0]);
  });

  it('gives whole GPUs the lowest wholly free devices and takes them back on release', () => {
    const s = cluster(1, { CPU: 8 }, 4);
    const frac = placed(s.place(req({ GPU: 0.5 })));
    expect(frac.gpuIds).toEqual([0]);
    const two = placed(s.place(req({ GPU: 2 })));
    expect(two.gpuIds).toEqual([1, 2]);
    expect(placed(s.place(req({ GPU: 1 }))).gpuIds).toEqual([3]);
    expect(s.place(req({ GPU: 1 })).type).toBe('wait');
    s.release(two);
    expect(placed(s.place(req({ GPU: 2 }))).gpuIds).toEqual([1, 2]);
    s.release(frac);
    expect(placed(s.place(req({ GPU: 1 }))).gpuIds).toEqual([0]);
  });

  it('respects a GPU total below the device count and rejects one above it', () => {
    const s = new Scheduler();
    s.addNode('n1', { CPU: 4, GPU: 1 }, 2);
    expect(placed(s.place(req({ GPU: 0.5 }))).gpuIds).toEqual([0]);
    expect(placed(s.place(req({ GPU: 0.5 }))).gpuIds).toEqual([0]);
    expect(s.place(req({ GPU: 0.5 })).type).toBe('wait');
    expect(s.place(req({ GPU: 2 })).type).toBe('infeasible');
    const err = catchError(() => s.addNode('n2', { GPU: 3 }, 2));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe('total.GPU');
    s.addNode('n3', { CPU: 1, GPU: 0 }, 2);
    expect(s.total('n3')).toEqual({ CPU: 1 });
  });
});

describe('release', () => {
  it('returns exactly what was taken, and never more than the total', () => {
    const s = new Scheduler();
    s.addNode('n1', { CPU: 4, GPU: 2, memory: 8 * GiB, foo: 3 }, 2);
    const a = placed(s.place(req({ CPU: 1.5, GPU: 0.3, memory: 3 * GiB, foo: 1 })));
    expect(s.available('n1')).toEqual({ CPU: 2.5, GPU: 1.7, memory: 5 * GiB, foo: 2 });
    s.release(a);
    expect(s.available('n1')).toEqual(s.total('n1'));
    s.release(a);
    expect(s.available('n1')).toEqual({ CPU: 4, GPU: 2, memory: 8 * GiB, foo: 3 });
    expect(placed(s.place(req({ GPU: 2 }))).gpuIds).toEqual([0, 1]);
  });
});

describe('infeasible', () => {
  it('names each missing resource and the largest node', () => {
    const s = new Scheduler();
    s.addNode('n-small', { CPU: 2 }, 0);
    s.addNode('n-abc', { CPU: 8, memory: 16 * GiB }, 0);
    const r = s.place(req({ CPU: 64, GPU: 1 }));
    expect(r.type).toBe('infeasible');
    if (r.type !== 'infeasible') return;
    expect(r.error).toBeInstanceOf(ResourcesInfeasibleError);
    expect(r.error.code).toBe('RESOURCES_INFEASIBLE');
    expect(r.error.message).toBe(
      'no node can ever satisfy {CPU: 64, GPU: 1}: missing GPU (needs 1, the most any node has is 0) and ' +
        'CPU (needs 64, the most any node has is 8); largest node n-abc has {CPU: 8, memory: 16.0 GiB}',
    );
    expect(r.error.context.missing).toBe('CPU,GPU');
    expect(s.available('n-abc')).toEqual({ CPU: 8, memory: 16 * GiB });
  });

  it('explains a request whose parts exist only on different nodes', () => {
    const s = new Scheduler();
    s.addNode('gpu', { CPU: 1 }, 1);
    s.addNode('big', { CPU: 32 }, 0);
    const r = s.place(req({ CPU: 16, GPU: 1 }));
    if (r.type !== 'infeasible') throw new Error(r.type);
    expect(r.error.message).toContain('no single node has all of it');
    expect(r.error.message).toContain('largest node big');
    expect(r.error.context.missing).toBe('GPU');
  });

  it('says when the cluster has no nodes', () => {
    const r = new Scheduler().place(req({ CPU: 1 }));
    if (r.type !== 'infeasible') throw new Error(r.type);
    expect(r.error.message).toContain('the cluster has no nodes');
    expect(new Scheduler().place(req({})).type).toBe('infeasible');
  });
});

describe('wait', () => {
  it('waits when every node is full and places after a release', () => {
    const s = cluster(2, { CPU: 2 });
    const a = placed(s.place(req({ CPU: 2 })));
    placed(s.place(req({ CPU: 1 })));
    const r = s.place(req({ CPU: 2 }));
    expect(r).toEqual({ type: 'wait', reason: 'waiting for CPU: 2 (free now at most 1 on any node)' });
    s.release(a);
    expect(placed(s.place(req({ CPU: 2 }))).nodeId).toBe(a.nodeId);
  });

  it('says when resources are free but not together', () => {
    const s = new Scheduler();
    s.addNode('a', { CPU: 2, GPU: 1 }, 1);
    s.addNode('b', { CPU: 2, GPU: 1 }, 1);
    placed(s.place(req({ CPU: 2 }, 'DEFAULT', { nodeAffinity: { nodeId: 'a', soft: false } })));
    placed(s.place(req({ GPU: 1 }, 'DEFAULT', { nodeAffinity: { nodeId: 'b', soft: false } })));
    const r = s.place(req({ CPU: 1, GPU: 1 }));
    expect(r.type === 'wait' && r.reason).toBe('waiting for {CPU: 1, GPU: 1} to be free together on one node');
  });
});

describe('node affinity', () => {
  it('hard: waits for a full node even when others are free', () => {
    const s = cluster(2, { CPU: 1 });
    placed(s.place(req({ CPU: 1 })));
    const r = s.place(req({ CPU: 1 }, 'DEFAULT', { nodeAffinity: { nodeId: 'n1', soft: false } }));
    expect(r).toEqual({ type: 'wait', reason: 'waiting for CPU: 1 (free now 0) on node n1' });
    expect(s.available('n2')).toEqual({ CPU: 1 });
  });

  it('hard: an unknown or too small node is infeasible', () => {
    const s = cluster(2, { CPU: 1 });
    const unknown = s.place(req({ CPU: 1 }, 'SPREAD', { nodeAffinity: { nodeId: 'ghost-7', soft: false } }));
    if (unknown.type !== 'infeasible') throw new Error(unknown.type);
    expect(unknown.error.message).toContain('ghost-7');
    expect(unknown.error.context.nodeId).toBe('ghost-7');
    const small = s.place(req({ CPU: 2 }, 'DEFAULT', { nodeAffinity: { nodeId: 'n2', soft: false } }));
    if (small.type !== 'infeasible') throw new Error(small.type);
    expect(small.error.message).toBe(
      'node n2 can never satisfy {CPU: 2}: missing CPU (needs 2, it has 1); it has {CPU: 1}',
    );
  });

  it('soft: prefers the node when it fits, else falls back to the strategy', () => {
    const s = cluster(3, { CPU: 4 });
    const soft = (nodeId: string) => ({ nodeAffinity: { nodeId, soft: true } });
    expect(placed(s.place(req({ CPU: 4 }, 'DEFAULT', soft('n3')))).nodeId).toBe('n3');
    expect(placed(s.place(req({ CPU: 1 }, 'DEFAULT', soft('n3')))).nodeId).toBe('n1');
    expect(placed(s.place(req({ CPU: 1 }, 'SPREAD', soft('nope')))).nodeId).toBe('n2');
    expect(s.place(req({ CPU: 8 }, 'DEFAULT', soft('n1'))).type).toBe('infeasible');
  });
});

describe('custom resources and memory', () => {
  it('places custom resources only where they exist', () => {
    const s = new Scheduler();
    s.addNode('plain', { CPU: 8 }, 0);
    s.addNode('special', { CPU: 1, 'accel-x': 2 }, 0);
    expect(nodeOf(s, { 'accel-x': 1 })).toBe('special');
    expect(nodeOf(s, { 'accel-x': 1, CPU: 0.5 })).toBe('special');
    expect(s.place(req({ 'accel-x': 1 })).type).toBe('wait');
    const r = s.place(req({ 'accel-x': 3 }));
    expect(r.type === 'infeasible' && r.error.message).toContain('accel-x (needs 3, the most any node has is 2)');
  });

  it('counts memory in bytes, exactly, even on large nodes', () => {
    const s = new Scheduler();
    s.addNode('n1', { CPU: 64, memory: 2048 * GiB }, 0);
    const a = placed(s.place(req({ memory: 1000 * GiB + 1 })));
    expect(s.available('n1').memory).toBe(1048 * GiB - 1);
    placed(s.place(req({ memory: 1048 * GiB - 1 })));
    const r = s.place(req({ memory: 512 * 1024 ** 2 }));
    expect(r.type === 'wait' && r.reason).toBe('waiting for memory: 512.0 MiB (free now at most 0 B on any node)');
    s.release(a);
    expect(s.available('n1').memory).toBe(1000 * GiB + 1);
  });
});

describe('validateResourceRequest', () => {
  const bad: Array<[unknown, string, RegExp]> = [
    [{ CPU: -1 }, 'resources.CPU', /resources\.CPU must be a finite number >= 0, got -1/],
    [{ CPU: NaN }, 'resources.CPU', /got NaN/],
    [{ CPU: Infinity }, 'resources.CPU', /got Infinity/],
    [{ CPU: '2' }, 'resources.CPU', /got "2"/],
    [{ GPU: 1.5 }, 'resources.GPU', /^resources\.GPU must be a whole number when above 1, got 1\.5$/],
    [null, 'resources', /must be an object.*got null/],
    [[1, 2], 'resources', /got an array/],
    [5, 'resources', /got 5/],
    [{ '': 1 }, 'resources', /empty name/],
    [{ CPU: 1e300 }, 'resources.CPU', /too large/],
  ];
  it.each(bad)('rejects %j', (input, field, message) => {
    const err = catchError(() => validateResourceRequest(input));
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).context.field).toBe(field);
    expect((err as Error).message).toMatch(message);
  });

  it('accepts fractions below one GPU and whole GPUs, drops zeros, uses the prefix', () => {
    expect(validateResourceRequest({ CPU: 0.5, GPU: 0.25, foo: 0 })).toEqual({ CPU: 0.5, GPU: 0.25 });
    expect(validateResourceRequest({ GPU: 4 })).toEqual({ GPU: 4 });
    const err = catchError(() => validateResourceRequest({ GPU: 2.5 }, 'options.resources'));
    expect((err as InvalidArgumentError).field).toBe('options.resources.GPU');
  });

  it('is applied by place() and addNode()', () => {
    const s = cluster(1, { CPU: 1 });
    expect(() => s.place(req({ CPU: -1 }))).toThrow(InvalidArgumentError);
    expect(() => s.place({ resources: {}, strategy: 'PACK' as SchedulingStrategy })).toThrow(/strategy/);
    expect(() => s.addNode('n2', { CPU: NaN }, 0)).toThrow(/total\.CPU/);
    expect(() => s.addNode('n1', { CPU: 1 }, 0)).toThrow(/already registered/);
    expect(() => s.addNode('n3', { CPU: 1 }, 1.5)).toThrow(/numGpuDevices/);
  });

  it('formats maps for messages', () => {
    expect(formatResources({ foo: 3, memory: GiB, GPU: 0.5, CPU: 2 })).toBe(
      'CPU: 2, GPU: 0.5, memory: 1.0 GiB, foo: 3',
    );
    expect(formatResources({ memory: 256 * 1024 ** 2 })).toBe('memory: 256.0 MiB');
  });
});

describe('node removal and numeric robustness', () => {
  it('removeNode forgets the node and its allocations', () => {
    const s = cluster(2, { CPU: 2 });
    const a = placed(s.place(req({ CPU: 2 })));
    s.removeNode(a.nodeId);
    expect(s.hasNode(a.nodeId)).toBe(false);
    expect(s.nodes().map((n) => n.nodeId)).toEqual(['n2']);
    s.release(a); // node gone: ignored
    s.addNode(a.nodeId, { CPU: 2 }, 0);
    expect(s.available(a.nodeId)).toEqual({ CPU: 2 });
    expect(() => s.available('gone')).toThrow(InvalidArgumentError);
  });

  it('ten 0.1 CPU requests fill a 1-CPU node exactly; the eleventh waits', () => {
    const s = cluster(1, { CPU: 1 });
    const allocs = Array.from({ length: 10 }, () => placed(s.place(req({ CPU: 0.1 }))));
    expect(s.available('n1')).toEqual({ CPU: 0 });
    expect(s.place(req({ CPU: 0.1 })).type).toBe('wait');
    for (const a of allocs.slice(0, 3)) s.release(a);
    expect(s.available('n1')).toEqual({ CPU: 0.3 });
    placed(s.place(req({ CPU: 0.1 + 0.2 })));
    expect(s.available('n1')).toEqual({ CPU: 0 });
  });
});

describe('randomized place/release against a model', () => {
  // Model in integer 1/10000 units (memory in bytes): what every node must have free at all times.
  const U = 10_000;
  type Model = { total: Record<string, number>; used: Record<string, number>; dev: number[] };
  const fixed = (name: string, v: number) => Math.round(name === 'memory' ? v : v * U);
  function mulberry32(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const fitsTotal = (m: Model, r: ResourceMap) => Object.entries(r).every(([k, v]) => (m.total[k] ?? 0) >= fixed(k, v));
  const fitsNow = (m: Model, r: ResourceMap) =>
    Object.entries(r).every(([k, v]) => (m.total[k] ?? 0) - (m.used[k] ?? 0) >= fixed(k, v)) &&
    (!r.GPU ||
      (r.GPU >= 1 ? m.dev.filter((d) => d === 0).length >= r.GPU : m.dev.some((d) => U - d >= fixed('GPU', r.GPU!))));

  it('never lets available leave [0, total] and agrees with the model', () => {
    const rand = mulberry32(12345);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const s = new Scheduler();
    const models = new Map<string, Model>();
    const add = (id: string, total: ResourceMap, gpus: number) => {
      s.addNode(id, total, gpus);
      const t = Object.fromEntries(Object.entries(total).map(([k, v]) => [k, fixed(k, v)]));
      models.set(id, { total: t, used: {}, dev: new Array<number>(gpus).fill(0) });
    };
    add('a', { CPU: 4, GPU: 2, memory: 16 * GiB }, 2);
    add('b', { CPU: 8 }, 0);
    add('c', { CPU: 2, GPU: 1, memory: 8 * GiB, x: 1 }, 2);
    const live: Allocation[] = [];
    const counts = { placed: 0, wait: 0, infeasible: 0, release: 0 };
    for (let op = 0; op < 2000; op++) {
      if (live.length > 0 && rand() < 0.4) {
        const a = live.splice(Math.floor(rand() * live.length), 1)[0]!;
        s.release(a);
        const m = models.get(a.nodeId)!;
        for (const [k, v] of Object.entries(a.resources)) m.used[k]! -= fixed(k, v);
        for (const id of a.gpuIds) m.dev[id]! -= a.resources.GPU! >= 1 ? U : fixed('GPU', a.resources.GPU!);
        counts.release++;
      } else {
        const r: ResourceMap = {};
        const cpu = pick([0, 0.1, 0.2, 0.25, 0.5, 1, 2, 3]);
        const gpu = pick([0, 0, 0, 0.1, 0.25, 0.3, 0.5, 1, 2]);
        const mem = pick([0, 0, GiB, 3 * GiB]);
        if (cpu) r.CPU = cpu;
        if (gpu) r.GPU = gpu;
        if (mem) r.memory = mem;
        if (rand() < 0.05) r.x = 0.5;
        const strategy = pick<SchedulingStrategy>(['DEFAULT', 'SPREAD']);
        const affinity = rand() < 0.15 ? { nodeId: pick(['a', 'b', 'c']), soft: rand() < 0.5 } : undefined;
        const res = s.place(req(r, strategy, affinity ? { nodeAffinity: affinity } : {}));
        counts[res.type]++;
        const hard = affinity && !affinity.soft ? [models.get(affinity.nodeId)!] : undefined;
        const scope = hard ?? [...models.values()];
        if (res.type === 'placed') {
          const { nodeId, gpuIds } = res.allocation;
          const m = models.get(nodeId)!;
          if (hard) expect(nodeId).toBe(affinity!.nodeId);
          expect(fitsNow(m, r)).toBe(true);
          expect(gpuIds.length).toBe(gpu === 0 ? 0 : Math.max(gpu, 1));
          for (const id of gpuIds) {
            m.dev[id]! += gpu >= 1 ? U : fixed('GPU', gpu);
            expect(m.dev[id]).toBeLessThanOrEqual(U);
          }
          for (const [k, v] of Object.entries(r)) m.used[k] = (m.used[k] ?? 0) + fixed(k, v);
          live.push(res.allocation);
        } else if (res.type === 'wait') {
          expect(scope.some((m) => fitsTotal(m, r))).toBe(true);
          expect(scope.some((m) => fitsNow(m, r))).toBe(false);
        } else {
          expect(scope.some((m) => fitsTotal(m, r))).toBe(false);
        }
      }
      for (const [id, m] of models) {
        const avail = s.available(id);
        for (const [k, t] of Object.entries(m.total)) {
          const a = fixed(k, avail[k]!);
          expect(a).toBe(t - (m.used[k] ?? 0));
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThanOrEqual(t);
        }
      }
    }
    // The mix must exercise every outcome, or the checks above prove little.
    expect(Math.min(...Object.values(counts))).toBeGreaterThan(20);
    for (const a of live) s.release(a);
    for (const n of s.nodes()) expect(n.available).toEqual(n.total);
    expect(placed(s.place(req({ GPU: 2 }, 'DEFAULT', { nodeAffinity: { nodeId: 'a', soft: false } }))).gpuIds).toEqual([
      0, 1,
    ]);
  });
});

describe('reserve (rebuilding allocations after a head restart)', () => {
  it('takes exactly a previous allocation, and refuses what does not fit', () => {
    const s = new Scheduler();
    s.addNode('n1', { CPU: 4 }, 2);
    const first = s.place({ resources: { CPU: 1, GPU: 0.5 }, strategy: 'DEFAULT' });
    expect(first.type).toBe('placed');
    const alloc = (first as { allocation: import('../../src/head/scheduler.js').Allocation }).allocation;
    const fresh = new Scheduler();
    fresh.addNode('n1', { CPU: 4 }, 2);
    expect(fresh.reserve(alloc)).toBe(true);
    expect(fresh.available('n1')).toEqual(s.available('n1'));
    // The half GPU left on that device is still usable; the other device is whole.
    const half = fresh.place({ resources: { GPU: 0.5 }, strategy: 'DEFAULT' });
    expect(half.type === 'placed' && half.allocation.gpuIds).toEqual(alloc.gpuIds);
    expect(fresh.reserve({ nodeId: 'n1', resources: { CPU: 10 }, gpuIds: [] })).toBe(false);
    expect(fresh.reserve({ nodeId: 'nope', resources: { CPU: 1 }, gpuIds: [] })).toBe(false);
    expect(fresh.available('n1').CPU).toBe(3);
  });
});
