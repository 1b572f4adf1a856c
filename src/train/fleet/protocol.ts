/**
 * What the actors of a training fleet say to each other: the data coordinator, data loaders,
 * parameter shards, trainers and evaluators. Plain data only (it crosses the wire as msgpack);
 * Float32Array and Int32Array travel as themselves, large ones on the data plane.
 *
 * Identities: trainers are numbered 0..T-1 (T counts backup workers), loaders 0..L-1, shards
 * 0..S-1. A batch is named by its epoch and its index in the epoch's order (`BatchKey`).
 */
import type { OptimizerSpec } from '../pipeline/stage-actor.js';

// ---------------------------------------------------------------------------------------------
// Data: the coordinator hands shards (runs of consecutive batches of the epoch's order) to
// loaders; loaders hand batches to trainers; trainers say which batches they trained on.

/** One batch of one epoch: batch `index` holds order[index·B .. (index+1)·B) of that epoch. */
export interface BatchKey {
  epoch: number;
  index: number;
}

/** A shard as the coordinator hands it to a loader: batches, each with its sample ids. */
export interface DataShard {
  epoch: number;
  /** The batches of the shard, in order. */
  batches: Array<{ index: number; ids: Int32Array }>;
}

/** The coordinator's answer to a loader asking for work. */
export type TakeReply =
  | { kind: 'shard'; shard: DataShard }
  /** Nothing queued now, but batches are still out (they may come back if a holder dies). */
  | { kind: 'wait' }
  /** Every batch of every epoch was trained on. */
  | { kind: 'end' };

/**
 * A batch as a loader hands it to a trainer. `data` is a ref (borrowed by the trainer) to
 * `{ x: Float32Array (rows × features), y: Int32Array }` after the loader's transform.
 */
export interface BatchHandout {
  kind: 'batch';
  key: BatchKey;
  ids: Int32Array;
  loader: number;
  /** An ObjectRef<{ x: Float32Array; y: Int32Array }>; typed loosely here to keep this file plain. */
  data: unknown;
}

export type NextReply = BatchHandout | { kind: 'wait' } | { kind: 'end' };

/** What a trainer tells its loader with each `next` (forwarded to the coordinator). */
export interface NextRequest {
  trainer: number;
  /** Batches whose gradients the shards accepted since the last request. */
  done: BatchKey[];
  /** Batches handed to this trainer that it will not train on (a gradient dropped by BSP's backup rule, a failed fetch): back in the queue. */
  returned: BatchKey[];
}

export interface CoordinatorStats {
  /** Epoch being handed out now. */
  epoch: number;
  /** Per epoch: sample ids of every batch reported done, in the order reported. */
  doneIds: Int32Array[];
  /** Batches reported done twice (must stay 0). */
  duplicates: number;
  /** Batches put back in the queue, by reason. */
  requeued: { trainerGone: number; loaderGone: number; returned: number };
  /** Shards taken, per loader. */
  shardsByLoader: number[];
  /** Batches done, per trainer. */
  batchesByTrainer: number[];
}

// ---------------------------------------------------------------------------------------------
// Parameters: a model's parameters as one flat vector in `namedParameters()` order, cut into
// contiguous ranges, one per shard, balanced by bytes (a tensor may be cut across shards).

/** Part of one parameter tensor: elements [offset, offset + length) of parameter `name`. */
export interface ParamSlice {
  name: string;
  /** Element offset inside the parameter. */
  offset: number;
  length: number;
}

/** Which slices each shard holds; shard k's vector is its slices concatenated in order. */
export interface ParamLayout {
  /** Every parameter, in order, with its shape. */
  params: Array<{ name: string; shape: number[] }>;
  shards: ParamSlice[][];
}

export type UpdatePolicy =
  /** Each step waits for `trainers` gradients of the same clock (the first that many, when backup workers run more). */
  | { mode: 'bsp'; trainers: number; backupWorkers: number }
  /** A trainer at clock c proceeds while the slowest active trainer is at clock ≥ c − staleness. */
  | { mode: 'ssp'; staleness: number }
  /** Each gradient applied on arrival. */
  | { mode: 'async' };

export interface ShardConfig {
  index: number;
  slices: ParamSlice[];
  /** Initial values: the slices concatenated. */
  values: Float32Array;
  optimizer: OptimizerSpec;
  policy: UpdatePolicy;
  /** Trainers 0..trainers-1 take part (backup workers included). */
  trainers: number;
  /** Keep a snapshot every this many versions (0: none). */
  snapshotEvery: number;
  /** How long any wait on the shard may last before it fails naming who is late. */
  timeoutMs: number;
  /** Native threads of this process. */
  threads: number;
}

export interface PushRequest {
  trainer: number;
  /** The trainer's clock: pushes it made before this one (BSP: the step it computed for). */
  clock: number;
  /** The shard version the gradient was computed from (what its last pull returned). */
  readVersion: number;
  /** The gradient of this shard's vector (the trainer's mean loss over its samples). */
  grad: Float32Array;
  /** Samples behind the gradient (BSP weighs gradients by it; 0 means "no data this step"). */
  samples: number;
  /** The trainer's mean loss over those samples (NaN when samples is 0). */
  loss: number;
}

/**
 * The answer to a push, once the trainer may go on: the weights it must read next.
 * BSP: after the step is applied (or the gradient dropped as a backup worker's straggler);
 * SSP: once the slowest active trainer is within the bound of the trainer's new clock;
 * async: at once.
 */
export interface PushReply {
  /** False when BSP dropped the gradient (a straggler beyond the first n); its batch goes back. */
  accepted: boolean;
  version: number;
  /** The trainer's clock from now on. */
  clock: number;
  values: Float32Array;
}

/** What joining (or rejoining after a restart) gives a trainer: its clock and the weights. */
export interface JoinReply {
  clock: number;
  version: number;
  values: Float32Array;
}

export interface Snapshot {
  version: number;
  values: Float32Array;
  /** Samples applied up to this version. */
  samples: number;
}

export interface ShardStats {
  index: number;
  version: number;
  /** Samples behind the updates applied. */
  samples: number;
  /** Per trainer: its clock (pushes accepted or dropped), -1 for one that never joined. */
  clocks: number[];
  /** Trainers taking part now. */
  active: number[];
  /** staleness[k] = updates applied k versions after the version their gradient was read at. */
  staleness: number[];
  /** Per trainer: total ms its pushes waited before they were answered, and how many. */
  waitMs: number[];
  waits: number[];
  /** SSP: every read, as [trainer, its clock, slowest active clock at the time]; at most 100,000 kept. */
  reads: Array<[number, number, number]>;
  /** Per update: [version after it, samples so far, loss] (the mean loss of the gradients in it). */
  losses: Array<[number, number, number]>;
  /** BSP: gradients dropped (backup workers' stragglers). */
  dropped: number;
}
