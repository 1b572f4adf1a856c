/**
 * Training fleets on real actors: BSP with 1–3 shards and 4 trainers equals a hand-written float64
 * loop on each step's combined batch (the samples the fleet recorded per step), for SGD with
 * momentum and AdamW; SSP keeps its staleness bound with a trainer slowed 5×; async and
 * allreduce train every sample once per epoch; bad options are refused before any actor starts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/index.js';
import { mlp, trainFleet, type FleetOptions, type FleetResult } from '../../src/train/index.js';
import { dataset } from '../../src/train/data/mnist.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';
import { trainByHand, type ReferenceOptimizer } from './hand-written-training.js';
import { blobs } from './helpers.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 16, warmPoolSize: 4 });
  cluster = embedded.driver;
}, 60_000);
afterAll(async () => {
  await embedded?.stop();
});

/** Sample ids of every step: the union of what each trainer's accepted push at that clock trained on. */
function stepsOf(result: FleetResult): number[][] {
  const steps: number[][] = [];
  for (const t of result.trainers)
    for (const { clock, ids } of t.trained) (steps[clock] ??= []).push(...Array.from(ids));
  return steps;
}

function exactlyOnce(result: FleetResult, n: number, epochs: number): void {
  expect(result.data.doneIds.length).toBe(epochs);
  for (const ids of result.data.doneIds) {
    expect(ids.length).toBe(n);
    expect(new Set(ids).size).toBe(n);
  }
}

describe('BSP equals synchronous training on the combined batch', () => {
  const cases: Array<{ shards: number; optimizer: ReferenceOptimizer; name: string }> = [
    { shards: 2, name: 'sgd-momentum', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } },
    {
      shards: 2,
      name: 'adamw',
      optimizer: { type: 'adamw', lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 },
    },
    { shards: 1, name: 'sgd-momentum', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } },
    { shards: 3, name: 'sgd-momentum', optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } },
  ];
  for (const c of cases) {
    it(`${c.shards} shard(s), 4 trainers, ${c.name}: 20 steps within 1e-5 of a float64 loop`, async () => {
      const batch = 8;
      const data = blobs(4 * batch * 20, 3);
      const model = mlp([16, 12, 4], { seed: 7 });
      const start = model.namedParameters().map(([, p]) => p.toFloat32Array());
      const result = await trainFleet(cluster, {
        model,
        data: { train: data },
        loaders: 2,
        trainers: 4,
        shards: c.shards,
        update: { mode: 'bsp' },
        optimizer: c.optimizer,
        batchSize: batch,
        epochs: 1,
        seed: 5,
      });
      exactlyOnce(result, data.length, 1);
      const steps = stepsOf(result);
      expect(result.updates).toBeGreaterThanOrEqual(20);
      const ref = trainByHand({
        x: data.x,
        y: data.y,
        features: 16,
        sizes: [16, 12, 4],
        weights: [start[0]!, start[2]!],
        biases: [start[1]!, start[3]!],
        batchSize: batch,
        dataParallel: 4,
        steps: steps.length,
        seed: 5,
        optimizer: c.optimizer,
        order: steps.map((s) => s ?? []),
      });
      const got = model.namedParameters().map(([, p]) => p.toFloat32Array());
      const want = [ref.weights[0]!, ref.biases[0]!, ref.weights[1]!, ref.biases[1]!];
      let worst = 0;
      got.forEach((g, k) => {
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - want[k]![i]!));
      });
      expect(worst).toBeLessThanOrEqual(1e-5);
    }, 120_000);
  }
});

describe('SSP, async and allreduce', () => {
  it('SSP(2) with trainer 0 slowed 5×: no trainer ever reads more than 2 clocks ahead of the slowest', async () => {
    const data = blobs(3 * 8 * 30, 4);
    const result = await trainFleet(cluster, {
      model: mlp([16, 12, 4], { seed: 1 }),
      data: { train: data },
      trainers: 3,
      shards: 2,
      update: { mode: 'ssp', staleness: 2 },
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
      batchSize: 8,
      slowdown: { 0: 5 },
      timeoutMs: 20_000,
    });
    exactlyOnce(result, data.length, 1);
    expect(result.reads.length).toBeGreaterThan(0);
    for (const [, clock, slowest] of result.reads) expect(clock - slowest).toBeLessThanOrEqual(2);
    // The fast trainers took more batches than the slow one (dynamic sharding).
    const batches = result.trainers.map((t) => t.batches);
    expect(Math.max(batches[1]!, batches[2]!)).toBeGreaterThan(batches[0]!);
  }, 120_000);

  it('async records the staleness of every update; allreduce trains every sample once', async () => {
    const all = blobs(2 * 8 * 20 + 200, 5);
    const data = dataset(all.x.slice(0, 320 * 16), all.y.slice(0, 320), 16, 4);
    const test = dataset(all.x.slice(320 * 16), all.y.slice(320), 16, 4);
    const base: Omit<FleetOptions, 'update'> = {
      model: mlp([16, 12, 4], { seed: 1 }),
      data: { train: data, test },
      trainers: 3,
      optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
      batchSize: 8,
      epochs: 2,
      evaluate: { every: 5 },
      timeoutMs: 20_000,
    };
    const a = await trainFleet(cluster, { ...base, shards: 2, update: { mode: 'async' } });
    exactlyOnce(a, data.length, 2);
    expect(a.staleness.reduce((s, n) => s + n, 0)).toBe(a.updates);
    expect(a.evaluations.length).toBeGreaterThan(0);
    expect(a.testAccuracy).toBeGreaterThan(0.8);
    const r = await trainFleet(cluster, {
      ...base,
      model: mlp([16, 12, 4], { seed: 1 }),
      update: { mode: 'allreduce' },
    });
    exactlyOnce(r, data.length, 2);
    expect(r.testAccuracy).toBeGreaterThan(0.8);
  }, 120_000);
});

describe('bad options are refused before any actor starts, naming the field', () => {
  const data = blobs(64, 1);
  const ok: FleetOptions = {
    model: mlp([16, 8, 4], { seed: 1 }),
    data: { train: data },
    update: { mode: 'bsp' },
    optimizer: { type: 'sgd', lr: 0.1 },
    batchSize: 8,
  };
  const refused = async (o: FleetOptions, field: string, text: RegExp) => {
    const err = await trainFleet(cluster, o).then(
      () => null,
      (e: unknown) => e as { message: string; context?: Record<string, string> },
    );
    expect(err?.message).toMatch(text);
    expect(err?.context?.field).toBe(field);
  };
  it('staleness < 0, an unknown mode, shapes that do not fit, more shards than parameters, float labels', async () => {
    await refused({ ...ok, update: { mode: 'ssp', staleness: -1 } }, 'update.staleness', /update.staleness.*>= 0.*-1/);
    await refused({ ...ok, update: { mode: 'sync' } as never }, 'update.mode', /'bsp', 'ssp'/);
    await refused({ ...ok, model: mlp([10, 8, 4], { seed: 1 }) }, 'model.layers[0]', /expects 10 input features/);
    await refused({ ...ok, model: mlp([16, 8, 3], { seed: 1 }) }, 'model', /3 outputs.*4 classes/);
    await refused(
      {
        ...ok,
        model: mlp([16, 1], { seed: 1 }),
        data: { train: dataset(data.x, new Int32Array(64), 16, 1) },
        shards: 18,
      },
      'shards',
      /shards/,
    );
    const floatLabels = { ...data, y: Float32Array.from(data.y, (v) => v + 0.5) as unknown as Int32Array };
    await refused({ ...ok, data: { train: floatLabels } }, 'data.train.y', /data.train.y/);
    await refused({ ...ok, update: { mode: 'async', staleness: 1 } as never }, 'update.staleness', /does not apply/);
  });
});
