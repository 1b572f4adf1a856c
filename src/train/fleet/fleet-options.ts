/**
 * `trainFleet`'s options: their types, their rules, and the plan made from them before any
 * actor starts (the data loaded and checked against the model, the parameter layout, the
 * resources of each role). Everything wrong is refused here, naming the field.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../common/index.js';
import { checkOptions, field, type Fields } from '../../options/index.js';
import { checkDataset, type Dataset } from '../data/dataset.js';
import { loadMnist } from '../data/mnist.js';
import type { Sequential } from '../module.js';
import { checkShapes, describeLayers, type LayerSpec } from '../pipeline/model-spec.js';
import type { OptimizerSpec } from '../pipeline/stage-actor.js';
import { layoutOf } from './layout.js';
import type { ParamLayout, UpdatePolicy } from './protocol.js';
import type { FleetMode } from './trainer-actor.js';

export type UpdateOption =
  | { mode: 'bsp'; backupWorkers?: number }
  | { mode: 'ssp'; staleness: number }
  | { mode: 'async' }
  | { mode: 'allreduce'; backend?: string };

export interface FleetProgress {
  /** Updates applied (BSP and allreduce: steps; SSP and async: pushes). */
  step: number;
  epoch: number;
  samples: number;
  samplesPerSecond: number;
  /** Mean loss of the latest update. */
  loss: number;
  /** Mean staleness of the updates so far (versions between a gradient's read and its apply). */
  staleness: number;
  /** Accuracy of the newest evaluation, null before the first. */
  evalAccuracy: number | null;
  /** Each trainer's clock. */
  clocks: number[];
  elapsedMs: number;
}

export interface FleetOptions {
  /** A Sequential of Linear / ReLU / GELU / LayerNorm layers (e.g. `mlp([784, 512, 10])`); its weights are the start. */
  model: Sequential;
  /** 'mnist' (8,000 train / 2,000 test digits) or your own datasets. */
  data: 'mnist' | { train: Dataset; test?: Dataset };
  /** Data-loader actors. Default 1. */
  loaders?: number;
  /** Trainer actors, backup workers not counted. Default 2. */
  trainers?: number;
  /** Parameter-shard actors (not in 'allreduce' mode). Default 1. */
  shards?: number;
  update: UpdateOption;
  optimizer: OptimizerSpec;
  /** Samples per batch (each trainer's per push, times `accumulate`). Default 128. */
  batchSize?: number;
  /** Batches a trainer accumulates per push. Default 1. */
  accumulate?: number;
  /** Clip each push's gradient to this global L2 norm. Default: no clipping. */
  clipNorm?: number;
  /** Passes over the training data. Default 1. */
  epochs?: number;
  /** Sample order and MNIST's split. Default 1. */
  seed?: number;
  /** Evaluator actors score a snapshot every `every` updates on the test split. Default: none. */
  evaluate?: { every: number; evaluators?: number; batch?: number };
  onProgress?: (p: FleetProgress) => void;
  /** How often onProgress is called. Default 500 ms. */
  progressIntervalMs?: number;
  /** Your own trainer: a module exporting a subclass of `Trainer`. */
  trainer?: { module: string | URL; className: string };
  /** Straggler experiments: trainer index → slow-down factor (2: each step takes twice its compute time). */
  slowdown?: Record<number, number>;
  /** A function (batch { x, y, features }) → { x, y }, run on the loaders. */
  transform?: { module: string | URL; name: string };
  /** Batches each loader keeps ready. Default 4. */
  prefetch?: number;
  /** Consecutive batches per shard of the data the coordinator hands out. Default 4. */
  shardBatches?: number;
  /** Resources of each role's actors. Defaults: trainer and shard { CPU: 0.25 }, loader { CPU: 0.1 }, evaluator { CPU: 0.2 }. */
  resources?: { trainer?: Resources; shard?: Resources; loader?: Resources; evaluator?: Resources };
  /** Restarts a trainer may take (SIGKILL, a lost process). Default 2. */
  trainerRestarts?: number;
  /** Native threads per actor process. Default 1. */
  threadsPerActor?: number;
  /** How long any wait may last before the run fails naming who is late. Default 120 s. */
  timeoutMs?: number;
}

type Resources = Record<string, number>;

const posInt = field(z.number().int().min(1), 'an integer >= 1');
const nonNegInt = field(z.number().int().min(0), 'an integer >= 0');
const positive = field(z.number().positive(), 'a number > 0');
const object = (rule: string) =>
  field(
    z.custom((v) => typeof v === 'object' && v !== null),
    rule,
  );
const fn = field(
  z.custom((v) => typeof v === 'function'),
  'a function',
);
const moduleRef = (names: [string, string]) =>
  field(
    z.custom(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        (typeof (v as Record<string, unknown>).module === 'string' ||
          (v as Record<string, unknown>).module instanceof URL) &&
        typeof (v as Record<string, unknown>)[names[1]] === 'string',
    ),
    `{ ${names[0]}, ${names[1]} }: a module URL and an export name`,
  );
const resources = field(z.record(z.string(), z.number().min(0)), 'an object of resource names to numbers >= 0');

const FIELDS: Fields<FleetOptions> = {
  model: object('a Sequential model'),
  data: field(
    z.union([z.literal('mnist'), z.looseObject({ train: z.unknown() })]),
    "'mnist' or { train, test? } datasets",
  ),
  loaders: posInt,
  trainers: posInt,
  shards: posInt,
  update: object("an update policy, e.g. { mode: 'ssp', staleness: 2 }"),
  optimizer: object("an optimizer spec, e.g. { type: 'sgd', lr: 0.05, momentum: 0.9 }"),
  batchSize: posInt,
  accumulate: posInt,
  clipNorm: positive,
  epochs: posInt,
  seed: field(z.number().int(), 'an integer'),
  evaluate: object('{ every, evaluators?, batch? }'),
  onProgress: fn,
  progressIntervalMs: positive,
  trainer: moduleRef(['module', 'className']),
  slowdown: field(z.record(z.string(), z.number().min(1)), 'an object of trainer index → factor >= 1'),
  transform: moduleRef(['module', 'name']),
  prefetch: posInt,
  shardBatches: posInt,
  resources: field(
    z.strictObject({ trainer: z.unknown(), shard: z.unknown(), loader: z.unknown(), evaluator: z.unknown() }).partial(),
    'an object with trainer, shard, loader and evaluator resources',
  ),
  trainerRestarts: nonNegInt,
  threadsPerActor: posInt,
  timeoutMs: positive,
};

export interface FleetPlan {
  mode: FleetMode;
  policy: UpdatePolicy | null;
  /** Trainers that run, backup workers included. */
  trainers: number;
  loaders: number;
  shards: number;
  evaluators: number;
  every: number;
  batch: number;
  epochs: number;
  seed: number;
  train: Dataset;
  test: Dataset | undefined;
  layers: LayerSpec[];
  layout: ParamLayout;
  resources: { trainer: Resources; shard: Resources; loader: Resources; evaluator: Resources };
  timeoutMs: number;
}

const positiveIntIn = (v: unknown, name: string, min: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new InvalidArgumentError(`${name} must be an integer >= ${min}, got ${JSON.stringify(v)}`, {
      context: { field: name },
    });
  return v;
};

function policyOf(
  update: UpdateOption,
  trainers: number,
): { mode: FleetMode; policy: UpdatePolicy | null; backup: number } {
  const u = update as Record<string, unknown>;
  const allowed: Record<string, string[]> = {
    bsp: ['mode', 'backupWorkers'],
    ssp: ['mode', 'staleness'],
    async: ['mode'],
    allreduce: ['mode', 'backend'],
  };
  const keys = allowed[String(u.mode)];
  if (!keys)
    throw new InvalidArgumentError(
      `update.mode must be one of 'bsp', 'ssp', 'async', 'allreduce', got ${JSON.stringify(u.mode)}`,
      { context: { field: 'update.mode' } },
    );
  for (const k of Object.keys(u))
    if (!keys.includes(k))
      throw new InvalidArgumentError(`update.${k} does not apply to mode '${u.mode}' (it takes ${keys.join(', ')})`, {
        context: { field: `update.${k}` },
      });
  switch (update.mode) {
    case 'bsp': {
      const b = update.backupWorkers === undefined ? 0 : positiveIntIn(update.backupWorkers, 'update.backupWorkers', 0);
      return { mode: 'bsp', policy: { mode: 'bsp', trainers, backupWorkers: b }, backup: b };
    }
    case 'ssp':
      return {
        mode: 'ssp',
        policy: { mode: 'ssp', staleness: positiveIntIn(update.staleness, 'update.staleness', 0) },
        backup: 0,
      };
    case 'async':
      return { mode: 'async', policy: { mode: 'async' }, backup: 0 };
    case 'allreduce':
      return { mode: 'allreduce', policy: null, backup: 0 };
  }
}

/** Checks the options and loads the data; throws naming the first field that is wrong. */
export function planFleet(options: FleetOptions): FleetPlan {
  checkOptions<FleetOptions>(options, FIELDS, { what: 'fleet', required: ['model', 'data', 'update', 'optimizer'] });
  const trainers = options.trainers ?? 2;
  const { mode, policy, backup } = policyOf(options.update, trainers);
  if (mode === 'allreduce' && options.shards !== undefined)
    throw new InvalidArgumentError("shards does not apply to update mode 'allreduce': the trainers hold the weights", {
      context: { field: 'shards' },
    });
  const opt = options.optimizer as { type?: unknown; lr?: unknown };
  if (opt.type !== 'sgd' && opt.type !== 'adamw')
    throw new InvalidArgumentError(`optimizer.type must be 'sgd' or 'adamw', got ${JSON.stringify(opt.type)}`, {
      context: { field: 'optimizer.type' },
    });
  if (opt.type === 'sgd' && !(typeof opt.lr === 'number' && opt.lr > 0))
    throw new InvalidArgumentError(`optimizer.lr must be a number > 0, got ${JSON.stringify(opt.lr)}`, {
      context: { field: 'optimizer.lr' },
    });
  const data = options.data === 'mnist' ? loadMnist({ seed: options.seed ?? 1 }) : options.data;
  checkDataset(data.train, 'data.train');
  if (data.test) checkDataset(data.test, 'data.test');
  const layers = describeLayers(options.model);
  const widths = checkShapes(layers, data.train.features);
  if (widths.at(-1) !== data.train.classes)
    throw new InvalidArgumentError(
      `the model ends with ${widths.at(-1)} outputs but data.train has ${data.train.classes} classes`,
      { context: { field: 'model' } },
    );
  if (data.test && data.test.features !== data.train.features)
    throw new InvalidArgumentError(
      `data.test has ${data.test.features} features but data.train has ${data.train.features}`,
      { context: { field: 'data.test' } },
    );
  const shards = mode === 'allreduce' ? 1 : (options.shards ?? 1);
  const layout = layoutOf(options.model, shards);
  const batch = options.batchSize ?? 128;
  if (data.train.length < batch)
    throw new InvalidArgumentError(`data.train has ${data.train.length} samples, fewer than one batch (${batch})`, {
      context: { field: 'batchSize' },
    });
  for (const k of Object.keys(options.slowdown ?? {})) {
    const t = Number(k);
    if (!Number.isInteger(t) || t < 0 || t >= trainers + backup)
      throw new InvalidArgumentError(
        `slowdown names trainer ${k}, but the fleet has trainers 0..${trainers + backup - 1}`,
        {
          context: { field: `slowdown.${k}` },
        },
      );
  }
  const evaluate = options.evaluate;
  if (evaluate) {
    positiveIntIn(evaluate.every, 'evaluate.every', 1);
    if (evaluate.evaluators !== undefined) positiveIntIn(evaluate.evaluators, 'evaluate.evaluators', 1);
    if (!data.test)
      throw new InvalidArgumentError('evaluate needs a test split: give data as { train, test }', {
        context: { field: 'evaluate' },
      });
  }
  const r = options.resources ?? {};
  for (const [role, res] of Object.entries(r))
    if (res !== undefined) checkOptions({ res }, { res: resources }, { what: `resources.${role}` });
  return {
    mode,
    policy,
    trainers: trainers + backup,
    loaders: options.loaders ?? 1,
    shards: mode === 'allreduce' ? 0 : shards,
    evaluators: evaluate ? (evaluate.evaluators ?? 1) : 0,
    every: evaluate?.every ?? 0,
    batch,
    epochs: options.epochs ?? 1,
    seed: options.seed ?? 1,
    train: data.train,
    test: data.test,
    layers,
    layout,
    resources: {
      trainer: r.trainer ?? { CPU: 0.25 },
      shard: r.shard ?? { CPU: 0.25 },
      loader: r.loader ?? { CPU: 0.1 },
      evaluator: r.evaluator ?? { CPU: 0.2 },
    },
    timeoutMs: options.timeoutMs ?? 120_000,
  };
}
