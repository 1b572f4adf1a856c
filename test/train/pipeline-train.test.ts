/**
 * Pipeline training on real stage actors: the weights after N steps of GPipe and 1F1B (p = 2, 4),
 * and of interleaved 1F1B, equal single-process training with gradient accumulation over the same
 * microbatches; p × d equals single-process training on the combined batch; bad models and a
 * stage that dies are reported naming the layer or the stage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/index.js';
import { mlp } from '../../src/train/index.js';
import { Linear, ReLU } from '../../src/train/layers.js';
import { Sequential } from '../../src/train/module.js';
import { trainSingleProcess } from '../../src/train/pipeline/single-process.js';
import { trainPipeline, type PipelineOptions } from '../../src/train/pipeline/train.js';
import { blobs } from './helpers.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 16, warmPoolSize: 4 });
  cluster = embedded.driver;
}, 60_000);
afterAll(async () => {
  await embedded?.stop();
});

const data = blobs(512, 11);
const sizes = [16, 32, 32, 24, 4];

function maxDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
  for (const [k, x] of a) {
    const y = b.get(k)!;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i]! - y[i]!));
  }
  return worst;
}

async function compare(
  opts: Partial<PipelineOptions> & { stages: number; schedule: PipelineOptions['schedule']; microbatches: number },
): Promise<number> {
  const steps = 3;
  const optimizer = { type: 'adamw' as const, lr: 1e-2 };
  const batchSize = 32;
  const piped = mlp(sizes, { seed: 5 });
  const result = await trainPipeline(cluster, {
    model: piped,
    data: { train: data },
    steps,
    batchSize,
    optimizer,
    seed: 2,
    ...opts,
  });
  const local = mlp(sizes, { seed: 5 });
  await trainSingleProcess(local, data, {
    microbatches: opts.microbatches,
    batchSize,
    steps,
    optimizer,
    seed: 2,
    dataParallel: opts.dataParallel,
  });
  const reference = new Map(local.namedParameters().map(([k, p]) => [k, p.toFloat32Array()]));
  expect(result.steps).toBe(steps);
  // Training moved the weights (a comparison of two untouched models would prove nothing).
  const initial = new Map(
    mlp(sizes, { seed: 5 })
      .namedParameters()
      .map(([k, p]) => [k, p.toFloat32Array()]),
  );
  expect(maxDiff(initial, reference)).toBeGreaterThan(1e-3);
  return maxDiff(result.weights, reference);
}

describe('pipeline training equals single-process training', () => {
  for (const schedule of ['gpipe', '1f1b'] as const) {
    for (const p of [2, 4]) {
      it(`${schedule}, p = ${p}, m = 4`, async () => {
        expect(await compare({ stages: p, schedule, microbatches: 4 })).toBeLessThanOrEqual(1e-5);
      }, 120_000);
    }
  }
  it('interleaved 1F1B, p = 2, v = 2, m = 4', async () => {
    expect(await compare({ stages: 2, schedule: 'interleaved', chunks: 2, microbatches: 4 })).toBeLessThanOrEqual(1e-5);
  }, 120_000);
  it('p × d = 2 × 2 equals single-process training on the combined batch', async () => {
    expect(await compare({ stages: 2, schedule: '1f1b', microbatches: 2, dataParallel: 2 })).toBeLessThanOrEqual(1e-5);
  }, 120_000);
});

describe('pipeline errors', () => {
  it('shapes between stages are checked before training, naming the layer', async () => {
    const bad = new Sequential(new Linear(16, 32), new ReLU(), new Linear(24, 4));
    await expect(
      trainPipeline(cluster, {
        model: bad,
        stages: 2,
        schedule: '1f1b',
        microbatches: 2,
        data: { train: data },
        optimizer: { type: 'sgd', lr: 0.1 },
      }),
    ).rejects.toThrow(/layer 2:Linear\(24→4\) expects 24 input features but layer 1:ReLU gives 32/);
    await expect(
      trainPipeline(cluster, {
        model: mlp([16, 8, 4]),
        stages: 4,
        schedule: '1f1b',
        microbatches: 2,
        data: { train: data },
        optimizer: { type: 'sgd', lr: 0.1 },
      }),
    ).rejects.toThrow(/cannot split 3 layer\(s\) into 4 stages/);
    await expect(
      trainPipeline(cluster, {
        model: mlp([16, 8, 4]),
        stages: 2,
        schedule: '1f1b',
        microbatches: 3,
        data: { train: data },
        optimizer: { type: 'sgd', lr: 0.1 },
      }),
    ).rejects.toThrow(/batchSize 128 must be a multiple of microbatches \(3\)/);
  });

  it('a stage that dies mid-step fails the driver within the timeout, naming the stage', async () => {
    const t0 = Date.now();
    const err = await trainPipeline(cluster, {
      model: mlp(sizes, { seed: 1 }),
      stages: 2,
      schedule: '1f1b',
      microbatches: 2,
      batchSize: 32,
      data: { train: data },
      optimizer: { type: 'sgd', lr: 0.1 },
      steps: 1000,
      stepTimeoutMs: 20_000,
      onStep: ({ step }) => {
        if (step === 1) void killStage(1);
      },
    }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/stage \d \(replica 0, actor actor-[0-9a-f]+\)/);
    expect(Date.now() - t0).toBeLessThan(60_000);
  }, 90_000);
});

/** Kills the process of the pipeline stage with rank `rank` (found through the cluster status). */
async function killStage(rank: number): Promise<void> {
  const status = await cluster.status();
  const stages = status.actors
    .filter((a) => a.className === 'PipelineStage' && a.state === 'ALIVE')
    .sort((a, b) => a.bundleIndex - b.bundleIndex);
  const victim = stages[rank];
  if (victim) process.kill(victim.pid, 'SIGKILL');
}
