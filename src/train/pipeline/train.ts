/**
 * `trainPipeline`: a model split into stages, each a stage actor placed through a placement group,
 * trained under a schedule (GPipe, 1F1B or interleaved 1F1B) with microbatches, optionally as
 * `dataParallel` replicas of the whole pipeline whose stages average their gradients each step.
 * `trainSingleProcess` and `accuracy` live in single-process.ts.
 */
import { z } from 'zod';
import { InvalidArgumentError, TimeoutError, TroupeError, UnavailableError } from '../../common/index.js';
import { checkOptions, field, type Fields } from '../../options/index.js';
import type { ActorHandle, Cluster } from '../../client/index.js';
import type { PlacementGroup } from '../../client/index.js';
import type { ActorClassType } from '../../client/index.js';
import { loadMnist, permutation, type Dataset } from '../data/mnist.js';
import { Random } from '../random.js';
import type { Sequential } from '../module.js';
import { makeSchedule, type ScheduleName } from './generators.js';
import { checkShapes, describeLayers, layerInfos, sliceParameters } from './model-spec.js';
import { partition, type PartitionSpec } from './partition.js';
import { formatAction } from './schedule.js';
import { accuracy } from './single-process.js';
import { simulate, theoreticalBubble } from './simulate.js';
import type { OptimizerSpec, PipelineStage, StageConfig, StepReport } from './stage-actor.js';

export interface PipelineOptions {
  /** A Sequential of Linear / ReLU / GELU / LayerNorm layers, e.g. `mlp([784, 512, 10])`; its current weights are the starting point. */
  model: Sequential;
  /** Pipeline ranks (stage actors per replica). */
  stages: number;
  schedule: ScheduleName;
  microbatches: number;
  /** Model chunks per rank for 'interleaved'. Default 2. */
  chunks?: number;
  /** Replicas of the whole pipeline, averaging gradients per stage. Default 1. */
  dataParallel?: number;
  /** 'mnist' (the `mnist` package's 10,000 digits, 8,000 train / 2,000 test), or your own. */
  data: 'mnist' | { train: Dataset; test?: Dataset };
  /** Passes over the training data. Default 1. */
  epochs?: number;
  /** Stop after this many steps (default: as many as the epochs give). */
  steps?: number;
  /** Samples per step per replica (a multiple of microbatches). Default 128. */
  batchSize?: number;
  optimizer: OptimizerSpec;
  /** Shuffling and data split. Default 1. */
  seed?: number;
  /** How layers are split into stages. Default balanced by parameter count. */
  partition?: PartitionSpec;
  /** Resources each stage reserves (its placement group bundle). Default { CPU: 0.5 }. */
  stageResources?: Record<string, number>;
  /** Native threads per stage process. Default 1 (stages share the machine's cores). */
  threadsPerStage?: number;
  /** How long a step may take before the driver gives up naming the stages still at work. Default 120 s. */
  stepTimeoutMs?: number;
  /** Called after every step. */
  onStep?: (info: StepInfo) => void;
  /** Collective backend between stages and replicas: 'tcp' (default) or 'nccl' on GPUs. */
  backend?: string;
}

export interface StepInfo {
  step: number;
  epoch: number;
  totalSteps: number;
  loss: number;
  bubble: number;
}

export interface PipelineResult {
  losses: number[];
  testAccuracy: number | null;
  /** Idle share of p × d × step time, measured from the stages' busy time (mean over steps after the first). */
  bubble: number;
  /** (p − 1)/(v·m + p − 1). */
  theoreticalBubble: number;
  /** The same schedule on the simulator with unit costs. */
  simulatedBubble: number;
  /** Per stage (rank, replica 0): total busy ms over the run. */
  stageBusyMs: number[];
  /** Per stage: the most bytes of activations held for backward passes. */
  peakStashBytes: number[];
  samplesPerSecond: number;
  steps: number;
  /** The trained weights by name (`0.weight`), also loaded into `options.model`. */
  weights: Map<string, Float32Array>;
}

const positiveInt = field(z.number().int().min(1), 'an integer >= 1');
const object = (rule: string) =>
  field(
    z.custom((v) => typeof v === 'object' && v !== null),
    rule,
  );
// Infinity is a fine number of steps.
const number = field(
  z.custom((v) => typeof v === 'number' && !Number.isNaN(v)),
  'a number',
);
const FIELDS: Fields<PipelineOptions> = {
  model: object('a Sequential model'),
  stages: positiveInt,
  schedule: field(z.string(), 'a schedule name'),
  microbatches: positiveInt,
  chunks: positiveInt,
  dataParallel: positiveInt,
  data: field(
    z.union([z.literal('mnist'), z.looseObject({ train: z.unknown() })]),
    "'mnist' or { train, test? } datasets",
  ),
  epochs: number,
  steps: number,
  batchSize: positiveInt,
  optimizer: object("an optimizer spec, e.g. { type: 'sgd', lr: 0.1 }"),
  seed: number,
  partition: object("a partition spec, e.g. { method: 'balanced' }"),
  stageResources: field(z.record(z.string(), z.number()), 'an object of resource names to numbers'),
  threadsPerStage: positiveInt,
  stepTimeoutMs: field(z.number().positive(), 'a number > 0'),
  onStep: field(
    z.custom((v) => typeof v === 'function'),
    'a function',
  ),
  backend: field(z.string().min(1), 'a non-empty string'),
};
const REQUIRED = ['model', 'stages', 'schedule', 'microbatches', 'data', 'optimizer'];

interface Plan {
  p: number;
  d: number;
  v: number;
  m: number;
  batch: number;
  train: Dataset;
  test: Dataset | undefined;
  ranges: Array<[number, number]>;
}

function plan(options: PipelineOptions): Plan {
  checkOptions<PipelineOptions>(options, FIELDS, { what: 'pipeline', required: REQUIRED });
  const p = options.stages;
  const m = options.microbatches;
  const d = options.dataParallel ?? 1;
  const v = options.schedule === 'interleaved' ? (options.chunks ?? 2) : 1;
  if (options.schedule !== 'interleaved' && options.chunks !== undefined && options.chunks !== 1) {
    throw new InvalidArgumentError(`chunks applies to the 'interleaved' schedule only, not '${options.schedule}'`, {
      context: { field: 'chunks' },
    });
  }
  if (options.backend === 'nccl' && options.schedule === 'interleaved') {
    // NCCL's sends wait for their receive and ignore tags; interleaving needs sends that do not.
    throw new InvalidArgumentError(
      "the 'interleaved' schedule needs sends that complete on their own; with backend 'nccl' use 'gpipe' or '1f1b'",
      {
        context: { field: 'schedule' },
      },
    );
  }
  const batch = options.batchSize ?? 128;
  if (batch % m !== 0)
    throw new InvalidArgumentError(`batchSize ${batch} must be a multiple of microbatches (${m})`, {
      context: { field: 'batchSize' },
    });
  const data = options.data === 'mnist' ? loadMnist({ seed: options.seed ?? 1 }) : options.data;
  if (!data || typeof data !== 'object' || !data.train)
    throw new InvalidArgumentError("data must be 'mnist' or { train, test? } datasets", { context: { field: 'data' } });
  const specs = describeLayers(options.model);
  const widths = checkShapes(specs, data.train.features);
  if (widths.at(-1) !== data.train.classes) {
    throw new InvalidArgumentError(
      `the model ends with ${widths.at(-1)} outputs but the data has ${data.train.classes} classes`,
      { context: { field: 'model' } },
    );
  }
  const ranges = partition(layerInfos(specs), p * v, options.partition ?? { method: 'balanced' });
  if (data.train.length < batch * d) {
    throw new InvalidArgumentError(
      `the training data has ${data.train.length} samples, fewer than one step takes (${batch} × ${d} replicas)`,
      { context: { field: 'batchSize' } },
    );
  }
  return { p, d, v, m, batch, train: data.train, test: data.test, ranges };
}

/** Where a sibling module is, from sources (tsx) or from the build. */
const sibling = (name: string): URL =>
  new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export async function trainPipeline(cluster: Cluster, options: PipelineOptions): Promise<PipelineResult> {
  const { p, d, v, m, batch, train, test, ranges } = plan(options);
  const schedule = makeSchedule(options.schedule, p, m, v);
  const simulated = simulate(schedule, { sendMode: 'buffered' });
  const actions = schedule.ranks.map((list, r) => list.map((a) => formatAction(r, a, v)));
  const specs = describeLayers(options.model);
  const timeoutMs = options.stepTimeoutMs ?? 120_000;

  const pg = await cluster.placementGroup(
    Array.from({ length: p * d }, () => ({ ...(options.stageResources ?? { CPU: 0.5 }) })),
    { strategy: 'PACK' },
  );
  let stages: Array<ActorHandle<typeof PipelineStage>> = [];
  try {
    await pg.ready({ timeoutMs: 60_000 });
    stages = await spawnStages(cluster, pg, options, { p, d, v, train, ranges, specs });
    const name = (i: number): string => `stage ${i % p} (replica ${Math.floor(i / p)}, actor ${stages[i]!.id})`;
    const backend = options.backend ?? 'tcp';
    await cluster.collectiveGroup(stages, { name: 'pipeline', backend });
    if (d > 1) {
      for (let r = 0; r < p; r++)
        await cluster.collectiveGroup(
          Array.from({ length: d }, (_, k) => stages[k * p + r]!),
          { name: 'dp', backend },
        );
    }

    const perEpoch = Math.floor(train.length / (batch * d));
    const totalSteps = Math.min(options.steps ?? Infinity, perEpoch * (options.epochs ?? 1));
    const rng = new Random(options.seed ?? 1);
    const losses: number[] = [];
    const bubbles: number[] = [];
    const busy = new Array<number>(p).fill(0);
    const peak = new Array<number>(p).fill(0);
    let order = permutation(train.length, rng);
    const t0 = performance.now();
    for (let step = 0; step < totalSteps; step++) {
      const inEpoch = step % perEpoch;
      if (step > 0 && inEpoch === 0) order = permutation(train.length, rng);
      const reports = await runStep(stages, name, timeoutMs, (i) => ({
        step,
        actions: actions[i % p]!,
        indices: order.slice((inEpoch * d + Math.floor(i / p)) * batch, (inEpoch * d + Math.floor(i / p) + 1) * batch),
        microbatches: m,
        timeoutMs,
      }));
      const stepLoss = reports.filter((r) => r.loss !== null).reduce((s, r) => s + r.loss!, 0) / d;
      losses.push(stepLoss);
      const wall = Math.max(...reports.map((r) => r.wallMs));
      const bubble = 1 - reports.reduce((s, r) => s + r.busyMs, 0) / (p * d * wall);
      if (step > 0 || totalSteps === 1) bubbles.push(bubble);
      reports.slice(0, p).forEach((r, i) => {
        busy[i]! += r.busyMs;
        peak[i] = Math.max(peak[i]!, r.peakStashBytes);
      });
      options.onStep?.({ step, epoch: Math.floor(step / perEpoch), totalSteps, loss: stepLoss, bubble });
    }
    const seconds = (performance.now() - t0) / 1000;
    const weights = new Map<string, Float32Array>();
    for (const s of stages.slice(0, p)) for (const [k, w] of Object.entries(await s.call.weights())) weights.set(k, w);
    options.model.loadParameters(weights);
    return {
      losses,
      testAccuracy: test ? await accuracy(options.model, test) : null,
      bubble: bubbles.reduce((a, b) => a + b, 0) / Math.max(1, bubbles.length),
      theoreticalBubble: theoreticalBubble(p, m, v),
      simulatedBubble: simulated.bubble,
      stageBusyMs: busy,
      peakStashBytes: peak,
      samplesPerSecond: (totalSteps * batch * d) / seconds,
      steps: totalSteps,
      weights,
    };
  } finally {
    await pg.remove().catch(() => undefined); // kills the stage actors
  }
}

async function spawnStages(
  cluster: Cluster,
  pg: PlacementGroup,
  options: PipelineOptions,
  ctx: {
    p: number;
    d: number;
    v: number;
    train: Dataset;
    ranges: Array<[number, number]>;
    specs: ReturnType<typeof describeLayers>;
  },
): Promise<Array<ActorHandle<typeof PipelineStage>>> {
  const { p, d, v, train, ranges, specs } = ctx;
  const Stage = cluster.actorClass<typeof PipelineStage>(sibling('stage-actor'), 'PipelineStage');
  const data = await cluster.put({ x: train.x, y: train.y, features: train.features });
  const chunkParams = await Promise.all(ranges.map(([a, b]) => cluster.put(sliceParameters(options.model, a, b))));
  const threads = options.threadsPerStage ?? 1;
  try {
    return await Promise.all(
      Array.from({ length: p * d }, (_, i) => {
        const rank = i % p;
        const chunks = Array.from({ length: v }, (_, c) => {
          const vs = c * p + rank;
          const [a, b] = ranges[vs]!;
          return { vs, firstLayer: a, layers: specs.slice(a, b), params: chunkParams[vs] as never };
        });
        const holdsEnds = chunks.some((c) => c.vs === 0 || c.vs === p * v - 1);
        const config = {
          rank,
          replica: Math.floor(i / p),
          p,
          d,
          v,
          chunks,
          optimizer: options.optimizer,
          data: holdsEnds ? data : null,
          threads,
        };
        return Stage.spawn([config as unknown as StageConfig], {
          placementGroup: pg,
          bundleIndex: i,
          env: { TROUPE_NUM_THREADS: String(threads) },
        });
      }),
    );
  } finally {
    cluster.free([data, ...chunkParams]);
  }
}

/** Every stage's part of a step; a failure or a timeout names the stage. */
async function runStep(
  stages: Array<ActorHandle<ActorClassType>>,
  name: (i: number) => string,
  timeoutMs: number,
  request: (i: number) => unknown,
): Promise<StepReport[]> {
  const done = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const waiting = stages.map((_, i) => i).filter((i) => !done.has(i));
      reject(
        new TimeoutError(
          `a pipeline step did not finish within ${timeoutMs} ms; still running: ${waiting.map(name).join(', ')}`,
        ),
      );
    }, timeoutMs);
  });
  try {
    return await Promise.race([
      Promise.all(
        stages.map((s, i) =>
          (s.call as unknown as { step(r: unknown): Promise<StepReport> }).step(request(i)).then(
            (r) => {
              done.add(i);
              return r;
            },
            (err: unknown) => {
              const why = err instanceof Error ? err.message : String(err);
              throw new UnavailableError(`${name(i)} failed during a pipeline step: ${why}`, {
                cause: err,
                context: { stage: String(i), ...(err instanceof TroupeError ? { code: err.code } : {}) },
              });
            },
          ),
        ),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
