/** Bundle placement (pure scheduler bookkeeping) and the head's placement group ledger. */
import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { InvalidArgumentError, ResourcesInfeasibleError } from '../../src/common/errors.js';
import { PlacementGroupManager } from '../../src/head/placement-groups.js';
import type { BundleStrategy } from '../../src/head/bundle-planner.js';
import { Scheduler, type Allocation, type BundlesResult } from '../../src/head/scheduler.js';

function cluster(totals: Array<Record<string, number>>, gpus: number[] = []): Scheduler {
  const s = new Scheduler();
  totals.forEach((t, i) => s.addNode(`n${i}`, t, gpus[i] ?? 0));
  return s;
}
function allocations(r: BundlesResult): Allocation[] {
  if (r.type !== 'placed')
    throw new Error(`expected placed, got ${r.type}: ${r.type === 'wait' ? r.reason : r.error.message}`);
  return r.allocations as Allocation[];
}
const nodesOf = (r: BundlesResult): string[] => allocations(r).map((a) => a.nodeId);
const cpu = (n: number) => ({ CPU: n });

describe('placing bundles', () => {
  it('STRICT_PACK puts every bundle on one node, or waits, or fails naming the strategy', () => {
    const s = cluster([cpu(4), cpu(4), cpu(4)]);
    const nodes = nodesOf(s.placeBundles({ bundles: [cpu(1), cpu(2), cpu(1)], strategy: 'STRICT_PACK' }));
    expect(new Set(nodes).size).toBe(1);
    const r = s.placeBundles({ bundles: [cpu(3), cpu(3)], strategy: 'STRICT_PACK' });
    expect(r.type).toBe('infeasible');
    if (r.type === 'infeasible') expect(r.error.message).toMatch(/STRICT_PACK.*together on one node/);
  });

  it('STRICT_SPREAD puts each bundle on a distinct node; more bundles than capable nodes fails at once', () => {
    const s = cluster([{ CPU: 4, accel: 1 }, { CPU: 4, accel: 1 }, cpu(4)]);
    expect(
      new Set(nodesOf(s.placeBundles({ bundles: [cpu(1), cpu(1), cpu(1)], strategy: 'STRICT_SPREAD' }))).size,
    ).toBe(3);
    const r = s.placeBundles({ bundles: [{ accel: 1 }, { accel: 1 }, { accel: 1 }], strategy: 'STRICT_SPREAD' });
    expect(r.type).toBe('infeasible');
    if (r.type === 'infeasible') {
      expect(r.error).toBeInstanceOf(ResourcesInfeasibleError);
      expect(r.error.message).toMatch(/STRICT_SPREAD placement group needs 3 distinct nodes.*only 2/);
    }
  });

  it('PACK uses as few nodes as it can; SPREAD as many', () => {
    const s = cluster([cpu(4), cpu(4), cpu(4)]);
    expect(new Set(nodesOf(s.placeBundles({ bundles: [cpu(1), cpu(1)], strategy: 'PACK' }))).size).toBe(1);
    // 3 + 3 do not fit one node of 4 (one CPU is taken): PACK still places, on two nodes.
    expect(new Set(nodesOf(s.placeBundles({ bundles: [cpu(3), cpu(3)], strategy: 'PACK' }))).size).toBe(2);
    const t = cluster([cpu(4), cpu(4), cpu(4)]);
    expect(new Set(nodesOf(t.placeBundles({ bundles: [cpu(1), cpu(1), cpu(1)], strategy: 'SPREAD' }))).size).toBe(3);
    // Best effort: four bundles on three nodes still place.
    expect(nodesOf(t.placeBundles({ bundles: [cpu(1), cpu(1), cpu(1), cpu(1)], strategy: 'SPREAD' }))).toHaveLength(4);
  });

  it('is all or nothing: a gang that does not fit takes nothing, and never overcommits', () => {
    const strategies: BundleStrategy[] = ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD'];
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const s = cluster([{ CPU: 8, slot: 3 }, { CPU: 6, slot: 2 }, { CPU: 4, slot: 4 }, { CPU: 2 }], [2, 0, 1, 0]);
    const held: Allocation[][] = [];
    for (let step = 0; step < 2000; step++) {
      if (held.length > 0 && rand(3) === 0) {
        for (const a of held.splice(rand(held.length), 1)[0]!) s.release(a);
      } else {
        const bundles = Array.from({ length: 1 + rand(3) }, () => ({
          CPU: 1 + rand(3),
          ...(rand(4) === 0 ? { slot: 1 } : {}),
          ...(rand(6) === 0 ? { GPU: 1 } : {}),
        }));
        const before = s.nodes().map((n) => n.available);
        const r = s.placeBundles({ bundles, strategy: strategies[rand(4)]! });
        if (r.type === 'placed') held.push(r.allocations as Allocation[]);
        else expect(s.nodes().map((n) => n.available)).toEqual(before);
      }
      for (const n of s.nodes()) for (const v of Object.values(n.available)) expect(v).toBeGreaterThanOrEqual(0);
    }
    for (const g of held) for (const a of g) s.release(a);
    expect(s.nodes().map((n) => n.available)).toEqual(s.nodes().map((n) => n.total));
  });

  it('places only the bundles a rescheduled group lost, away from the nodes its other bundles hold (STRICT_SPREAD)', () => {
    const s = cluster([cpu(2), cpu(2), cpu(2)]);
    const r = s.placeBundles({ bundles: [cpu(1), cpu(1)], strategy: 'STRICT_SPREAD', placed: ['n0', undefined] });
    const a = (r as { allocations: Array<Allocation | undefined> }).allocations;
    expect(a[0]).toBeUndefined();
    expect(a[1]!.nodeId).not.toBe('n0');
  });
});

describe('placement group manager', () => {
  const log = pino({ level: 'silent' });
  const manager = (s: Scheduler) =>
    new PlacementGroupManager(
      s,
      { save: async () => undefined, killActorsIn: async () => undefined, capacityChanged: () => undefined },
      log,
    );
  const req = (bundles: Array<Record<string, number>>, strategy = 'PACK') => ({
    bundles: bundles.map((amounts) => ({ amounts })),
    strategy,
    name: '',
    namespace: '',
    lifetime: '',
    ownerId: 'd',
  });

  it('refuses bad bundles and strategies with the field named', async () => {
    const m = manager(cluster([cpu(4)]));
    const field = async (p: Promise<unknown>): Promise<string | undefined> => {
      try {
        await p;
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidArgumentError);
        return (err as InvalidArgumentError).field;
      }
      throw new Error('expected a rejection');
    };
    expect(await field(m.create(req([])))).toBe('bundles');
    expect(await field(m.create(req([{}])))).toBe('bundles[0]');
    expect(await field(m.create(req([cpu(1), { CPU: -1 }])))).toBe('bundles[1].CPU');
    expect(await field(m.create(req([cpu(1)], 'CLOSE_TOGETHER')))).toBe('strategy');
  });

  it('actors in a bundle use its resources and devices, and may not ask for more than it holds', async () => {
    const s = cluster([{ CPU: 4, GPU: 2 }], [2]);
    const m = manager(s);
    const g = await m.create(req([{ CPU: 2, GPU: 1 }]));
    expect(g.state).toBe('CREATED');
    expect(s.available('n0')).toEqual({ CPU: 2, GPU: 1 });
    const a = m.place({
      resources: { CPU: 1, GPU: 1 },
      strategy: 'DEFAULT',
      placementGroup: { groupId: g.id, bundleIndex: 0 },
    });
    expect(a.type).toBe('placed');
    if (a.type === 'placed') expect(a.allocation.gpuIds).toEqual(g.allocations[0]!.gpuIds);
    expect(s.available('n0')).toEqual({ CPU: 2, GPU: 1 }); // the node's pool is untouched
    const more = m.place({
      resources: { CPU: 3 },
      strategy: 'DEFAULT',
      placementGroup: { groupId: g.id, bundleIndex: 0 },
    });
    expect(more.type).toBe('infeasible');
    const full = m.place({
      resources: { CPU: 1, GPU: 1 },
      strategy: 'DEFAULT',
      placementGroup: { groupId: g.id, bundleIndex: -1 },
    });
    expect(full.type).toBe('wait');
    const outOfRange = m.place({
      resources: {},
      strategy: 'DEFAULT',
      placementGroup: { groupId: g.id, bundleIndex: 3 },
    });
    expect(outOfRange.type).toBe('infeasible');
    if (a.type === 'placed') m.release(a.allocation);
    await m.remove(g.id);
    expect(s.available('n0')).toEqual({ CPU: 4, GPU: 2 });
  });

  it('a group that does not fit now waits, and is placed when capacity frees', async () => {
    const s = cluster([cpu(2)]);
    const m = manager(s);
    const first = await m.create(req([cpu(2)]));
    const second = await m.create(req([cpu(2)]));
    expect(second.state).toBe('PENDING');
    expect(second.reason).toMatch(/fits on no node now|free/);
    const settled = m.waitSettled(second, 5000);
    await m.remove(first.id);
    expect((await settled).state).toBe('CREATED');
  });
});
