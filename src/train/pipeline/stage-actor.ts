/**
 * A pipeline stage actor: holds its chunk(s) of the model on the native core and runs its rank's
 * list of actions for each training step — forwards and backwards of microbatches, activations
 * and gradients to and from the neighbouring stages over the collective group's TCP links,
 * gradients accumulated over the microbatches, then (after an allreduce across data-parallel
 * replicas) the optimizer step.
 */
import { InvalidArgumentError } from '../../common/index.js';
import { getCollectiveGroup, type CollectiveGroup } from '../../collective/index.js';
import { scale, softmaxCrossEntropy } from '../ops.js';
import { AdamW, SGD, type Optimizer } from '../optim.js';
import { nativeAddon } from '../../../native/index.js';
import { Tensor, type Parameter } from '../tensor.js';
import type { Sequential } from '../module.js';
import { buildLayers, type LayerSpec } from './model-spec.js';
import { parseAction, type Action } from './schedule.js';

export type OptimizerSpec =
  | { type: 'adamw'; lr?: number; betas?: [number, number]; eps?: number; weightDecay?: number }
  | { type: 'sgd'; lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number };

export interface ChunkConfig {
  /** Virtual stage this chunk is. */
  vs: number;
  /** Index of its first layer in the whole model (parameter names are global: `3.weight`). */
  firstLayer: number;
  layers: LayerSpec[];
  /** Initial values, by the chunk's own names (`0.weight` is its first layer's). */
  params: Record<string, Float32Array>;
}

export interface StageConfig {
  rank: number;
  replica: number;
  p: number;
  d: number;
  v: number;
  chunks: ChunkConfig[];
  optimizer: OptimizerSpec;
  /** Training data (first and last stages only): features row-major, labels. */
  data: { x: Float32Array; y: Int32Array; features: number } | null;
  /** Threads of the native kernels in this process. */
  threads: number;
}

export interface StepRequest {
  step: number;
  /** This rank's actions, in the text form. */
  actions: string[];
  /** The replica's samples for this step, in microbatch order. */
  indices: Int32Array;
  microbatches: number;
  timeoutMs: number;
}

export interface StepReport {
  /** Mean loss over the step's batch (last stage only). */
  loss: number | null;
  /** Time in forward and backward computation. */
  busyMs: number;
  /** Time waiting for activations and gradients. */
  waitMs: number;
  wallMs: number;
  /** Most bytes of activations kept for backward passes at once. */
  peakStashBytes: number;
}

interface Stash {
  input: Tensor;
  output: Tensor;
  loss?: Tensor;
}

export class PipelineStage {
  private readonly models: Sequential[];
  private readonly optimizer: Optimizer;
  private readonly params: Parameter[];
  private readonly lastVs: number;

  constructor(private readonly config: StageConfig) {
    if (config.threads > 0) nativeAddon().setThreads(config.threads);
    this.models = config.chunks.map((c) => {
      const m = buildLayers(c.layers);
      m.loadParameters(new Map(Object.entries(c.params)));
      return m;
    });
    // The configs' arrays are no longer needed once copied into native memory.
    for (const c of config.chunks) c.params = {};
    this.params = this.models.flatMap((m) => m.parameters());
    this.lastVs = config.p * config.v - 1;
    const o = config.optimizer;
    if (this.params.length === 0) {
      this.optimizer = undefined as unknown as Optimizer; // a stage of parameter-free layers only
    } else if (o.type === 'adamw') {
      this.optimizer = new AdamW(this.params, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
    } else if (o.type === 'sgd') {
      this.optimizer = new SGD(this.params, {
        lr: o.lr,
        momentum: o.momentum,
        nesterov: o.nesterov,
        weightDecay: o.weightDecay,
      });
    } else {
      throw new InvalidArgumentError(`optimizer type must be 'adamw' or 'sgd', got '${(o as { type: string }).type}'`, {
        context: { field: 'optimizer.type' },
      });
    }
  }

  /** Runs this rank's part of one training step. */
  async step(req: StepRequest): Promise<StepReport> {
    const t0 = performance.now();
    const { p, replica } = this.config;
    const pipe = getCollectiveGroup('pipeline', this);
    const m = req.microbatches;
    if (req.indices.length % m !== 0) {
      throw new InvalidArgumentError(
        `the batch of ${req.indices.length} samples does not split into ${m} equal microbatches`,
        { context: { field: 'microbatches' } },
      );
    }
    const mbSize = req.indices.length / m;
    const stash = new Map<string, Stash>();
    const received = new Map<string, Tensor>();
    let stashBytes = 0;
    let peakStashBytes = 0;
    let busyMs = 0;
    let waitMs = 0;
    let loss = 0;
    const chunkOf = (a: Action) => {
      const c = this.config.chunks[a.chunk];
      if (!c)
        throw new InvalidArgumentError(
          `action for chunk ${a.chunk}, but this stage holds ${this.config.chunks.length}`,
          { context: { field: 'actions' } },
        );
      return c;
    };
    const peerRank = (vs: number): number => replica * p + (vs % p);
    const tag = (kind: string, vs: number, mb: number): string => `${req.step}:${kind}:${vs}:${mb}`;
    const rows = (mb: number): Int32Array => req.indices.subarray(mb * mbSize, (mb + 1) * mbSize);

    for (const text of req.actions) {
      const { rank, action: a } = parseAction(text);
      if (rank !== this.config.rank)
        throw new InvalidArgumentError(
          `action ${text} is for rank ${rank}, not this stage (rank ${this.config.rank})`,
          { context: { field: 'actions' } },
        );
      if (a.kind === 'STEP') {
        await this.update(req.timeoutMs);
        continue;
      }
      const chunk = chunkOf(a);
      const vs = chunk.vs;
      const key = `${a.mb}:${a.chunk}`;
      switch (a.kind) {
        case 'RECV_F': {
          const w = performance.now();
          const data = await pipe.recv(peerRank(vs - 1), { tag: tag('F', vs, a.mb), timeoutMs: req.timeoutMs });
          waitMs += performance.now() - w;
          received.set(
            `F${key}`,
            Tensor.from(data as Float32Array, [mbSize, data.length / mbSize], { requiresGrad: true }),
          );
          break;
        }
        case 'RECV_B': {
          const w = performance.now();
          const data = await pipe.recv(peerRank(vs + 1), { tag: tag('B', vs, a.mb), timeoutMs: req.timeoutMs });
          waitMs += performance.now() - w;
          received.set(`B${key}`, Tensor.from(data as Float32Array, [mbSize, data.length / mbSize]));
          break;
        }
        case 'F': {
          const b = performance.now();
          const input = vs === 0 ? this.inputs(rows(a.mb)) : take(received, `F${key}`, text);
          const output = await this.models[a.chunk]!.forward(input);
          const s: Stash = { input, output };
          if (vs === this.lastVs) {
            const l = await softmaxCrossEntropy(output, this.labels(rows(a.mb)));
            s.loss = await scale(l, 1 / m);
            loss += s.loss.item();
          }
          stash.set(key, s);
          stashBytes += (input.size + output.size) * 4;
          peakStashBytes = Math.max(peakStashBytes, stashBytes);
          busyMs += performance.now() - b;
          break;
        }
        case 'SEND_F':
          await pipe.send(stash.get(key)!.output.toFloat32Array(), peerRank(vs + 1), { tag: tag('F', vs + 1, a.mb) });
          break;
        case 'B': {
          const b = performance.now();
          const s = stash.get(key);
          if (!s) throw new InvalidArgumentError(`${text} runs before its forward`, { context: { field: 'actions' } });
          if (s.loss) await s.loss.backward();
          else {
            const g = take(received, `B${key}`, text);
            await s.output.backward(g);
            g.free();
          }
          busyMs += performance.now() - b;
          break;
        }
        case 'SEND_B': {
          const s = stash.get(key)!;
          const g = s.input.grad;
          if (!g)
            throw new InvalidArgumentError(`${text}: no gradient reached this stage's input`, {
              context: { field: 'actions' },
            });
          await pipe.send(g.toFloat32Array(), peerRank(vs - 1), { tag: tag('B', vs - 1, a.mb) });
          break;
        }
      }
      if (a.kind === 'B' || a.kind === 'SEND_B') {
        // Done with this microbatch here once its gradient has gone (or there is none to send).
        const s = stash.get(key)!;
        if (a.kind === 'SEND_B' || vs === 0) {
          stashBytes -= (s.input.size + s.output.size) * 4;
          stash.delete(key);
          for (const t of [s.input.grad, s.input, s.output, s.loss]) if (t && !t.freed) t.free();
        }
      }
    }
    return {
      loss: this.config.chunks.some((c) => c.vs === this.lastVs) ? loss : null,
      busyMs,
      waitMs,
      wallMs: performance.now() - t0,
      peakStashBytes,
    };
  }

  /** Current parameter values by global name (`3.weight`). */
  weights(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    this.config.chunks.forEach((c, i) => {
      for (const [name, param] of this.models[i]!.namedParameters()) {
        const dot = name.indexOf('.');
        out[`${Number(name.slice(0, dot)) + c.firstLayer}${name.slice(dot)}`] = param.toFloat32Array();
      }
    });
    return out;
  }

  /** Averages gradients across data-parallel replicas (one allreduce), then steps the optimizer. */
  private async update(timeoutMs: number): Promise<void> {
    if (this.params.length === 0) return;
    if (this.config.d > 1) {
      const dp: CollectiveGroup = getCollectiveGroup('dp', this);
      const sizes = this.params.map((q) => q.size);
      const flat = new Float32Array(sizes.reduce((a, b) => a + b, 0));
      let at = 0;
      for (const q of this.params) {
        if (q.grad) flat.set(q.grad.toFloat32Array(), at);
        at += q.size;
      }
      const mean = await dp.allreduce(flat, { op: 'mean', timeoutMs });
      at = 0;
      this.params.forEach((q, i) => {
        const part = mean.subarray(at, at + sizes[i]!);
        if (q.grad) q.grad.copyFrom(part);
        else q.grad = Tensor.from(part.slice(), q.shape);
        at += sizes[i]!;
      });
    }
    await this.optimizer.step();
    this.optimizer.zeroGrad();
  }

  private inputs(rows: Int32Array): Tensor {
    const data = this.config.data;
    if (!data) throw new InvalidArgumentError('the first stage was given no data', { context: { field: 'data' } });
    const f = data.features;
    const out = new Float32Array(rows.length * f);
    rows.forEach((r, k) => out.set(data.x.subarray(r * f, (r + 1) * f), k * f));
    return Tensor.from(out, [rows.length, f]);
  }

  private labels(rows: Int32Array): Int32Array {
    const data = this.config.data;
    if (!data) throw new InvalidArgumentError('the last stage was given no labels', { context: { field: 'data' } });
    return Int32Array.from(rows, (r) => data.y[r]!);
  }
}

function take(map: Map<string, Tensor>, key: string, action: string): Tensor {
  const t = map.get(key);
  if (!t)
    throw new InvalidArgumentError(`${action} runs before what it needs was received`, {
      context: { field: 'actions' },
    });
  map.delete(key);
  return t;
}
