/**
 * `troupe/train`: tensors, layers, losses and optimizers on Troupe's native core. Arithmetic runs
 * in C++ (GEMM through OpenBLAS where the build found it, an own blocked kernel otherwise) on
 * worker threads, so awaiting an operation never blocks the event loop.
 */
import { nativeAddon, type GemmBackend, type NativeInfo } from '../../native/index.js';

export { Tensor, Parameter, shapeText, type Device, type TensorOptions, type GradNode } from './tensor.js';
export { Module, Sequential } from './module.js';
export { Linear, ReLU, GELU, LayerNorm, mlp, type LinearOptions, type MlpOptions } from './layers.js';
export { matmul, linear, relu, gelu, layerNorm, add, scale, sum, mean, softmaxCrossEntropy } from './ops.js';
export {
  Optimizer,
  SGD,
  AdamW,
  clipGradNorm,
  type SgdOptions,
  type AdamWOptions,
  type OptimizerState,
} from './optim.js';
export { saveCheckpoint, loadCheckpoint, type CheckpointParts } from './checkpoint.js';
export { readTensorFile, writeTensorFile, type StoredTensor, type TensorFile } from './tensor-file.js';
export { Random } from './random.js';
export type { GemmBackend, NativeInfo };

/** What the native core was built with and how it is set up now. */
export function nativeInfo(): NativeInfo {
  return nativeAddon().info();
}

/**
 * Threads the CPU kernels (and the BLAS) use; default TROUPE_NUM_THREADS or every hardware
 * thread. Results are deterministic for a given thread count.
 */
export function setThreads(threads: number): void {
  nativeAddon().setThreads(threads);
}

/** The CPU GEMM: 'blas' (default where built with OpenBLAS) or the own 'fallback' kernel. */
export function setBackend(backend: GemmBackend): void {
  nativeAddon().setBackend(backend);
}

// Pipeline parallelism: schedules, their simulator, the partitioner, and training on stage actors.
export * from './pipeline/index.js';
export { trainPipeline, type PipelineOptions, type PipelineResult, type StepInfo } from './pipeline/train.js';
export { trainSingleProcess, accuracy, type SingleProcessOptions } from './pipeline/single-process.js';
export type { OptimizerSpec } from './pipeline/stage-actor.js';
export { loadMnist, dataset, type Dataset } from './data/mnist.js';
export { fromArrays, fromGenerator, tensorFileDataset, checkDataset } from './data/dataset.js';
export { readNpy, parseNpy, readNpyDataset, type NpyArray, type NpyDtype } from './data/npy.js';
export { readCsvDataset, type CsvDatasetOptions } from './data/csv.js';
export { ShardQueue, type ShardQueueConfig, type RequeueReason } from './data/shards.js';
export { DataCoordinator, type CoordinatorConfig } from './fleet/coordinator-actor.js';
export {
  DataLoader,
  type LoaderConfig,
  type LoaderData,
  type LoaderStats,
  type BatchTransform,
} from './fleet/loader-actor.js';
// Training fleets: trainers, parameter shards under BSP / SSP / async (or allreduce), evaluators.
export { trainFleet, type FleetResult } from './fleet/train-fleet.js';
export type { FleetOptions, FleetProgress, UpdateOption } from './fleet/fleet-options.js';
export { Trainer, type TrainerConfig, type TrainerReport, type FleetMode } from './fleet/trainer-actor.js';
export { ParameterShard } from './fleet/shard-actor.js';
export { Evaluator, type EvaluatorConfig, type Evaluation } from './fleet/evaluator-actor.js';
export { layoutParameters, layoutOf, gather, scatter } from './fleet/layout.js';
export type * from './fleet/protocol.js';
