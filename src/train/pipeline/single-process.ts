/**
 * `trainSingleProcess`: the pipeline's training in this process (the correctness reference and the
 * benchmark's baseline), and `accuracy`.
 */
import { permutation, type Dataset } from '../data/mnist.js';
import type { Sequential } from '../module.js';
import { AdamW, SGD, type Optimizer } from '../optim.js';
import { scale, softmaxCrossEntropy } from '../ops.js';
import { Random } from '../random.js';
import { Tensor } from '../tensor.js';
import type { OptimizerSpec } from './stage-actor.js';

/** Share of `data` the model classifies right (argmax of its outputs), in batches. */
export async function accuracy(model: Sequential, data: Dataset, batch = 500): Promise<number> {
  let right = 0;
  for (let at = 0; at < data.length; at += batch) {
    const n = Math.min(batch, data.length - at);
    const x = Tensor.from(data.x.subarray(at * data.features, (at + n) * data.features).slice(), [n, data.features]);
    const out = await model.forward(x);
    const logits = out.toFloat32Array();
    const k = logits.length / n;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (logits[i * k + c]! > logits[i * k + best]!) best = c;
      if (best === data.y[at + i]) right++;
    }
    x.free();
    out.free();
  }
  return right / data.length;
}

export interface SingleProcessOptions {
  microbatches: number;
  batchSize?: number;
  dataParallel?: number;
  steps?: number;
  epochs?: number;
  optimizer: OptimizerSpec;
  seed?: number;
}

/**
 * The same training in this process: per step, gradients accumulated over the microbatches of
 * each replica's batch (each microbatch's loss scaled by 1/m, the replicas' gradients averaged),
 * the same sample order as `trainPipeline`. Returns the losses and samples per second.
 */
export async function trainSingleProcess(
  model: Sequential,
  data: Dataset,
  o: SingleProcessOptions,
): Promise<{ losses: number[]; samplesPerSecond: number }> {
  const m = o.microbatches;
  const batch = o.batchSize ?? 128;
  const d = o.dataParallel ?? 1;
  const params = model.parameters();
  const opt: Optimizer =
    o.optimizer.type === 'adamw'
      ? new AdamW(params, {
          lr: o.optimizer.lr,
          betas: o.optimizer.betas,
          eps: o.optimizer.eps,
          weightDecay: o.optimizer.weightDecay,
        })
      : new SGD(params, {
          lr: o.optimizer.lr,
          momentum: o.optimizer.momentum,
          nesterov: o.optimizer.nesterov,
          weightDecay: o.optimizer.weightDecay,
        });
  const rng = new Random(o.seed ?? 1);
  const perEpoch = Math.floor(data.length / (batch * d));
  const total = Math.min(o.steps ?? Infinity, perEpoch * (o.epochs ?? 1));
  let order = permutation(data.length, rng);
  const losses: number[] = [];
  const mb = batch / m;
  const t0 = performance.now();
  for (let step = 0; step < total; step++) {
    const inEpoch = step % perEpoch;
    if (step > 0 && inEpoch === 0) order = permutation(data.length, rng);
    let loss = 0;
    for (let r = 0; r < d; r++) {
      const indices = order.subarray((inEpoch * d + r) * batch, (inEpoch * d + r + 1) * batch);
      for (let k = 0; k < m; k++) {
        const rows = indices.subarray(k * mb, (k + 1) * mb);
        const x = new Float32Array(mb * data.features);
        rows.forEach((row, j) =>
          x.set(data.x.subarray(row * data.features, (row + 1) * data.features), j * data.features),
        );
        const input = Tensor.from(x, [mb, data.features]);
        const out = await model.forward(input);
        const l = await scale(
          await softmaxCrossEntropy(
            out,
            Int32Array.from(rows, (row) => data.y[row]!),
          ),
          1 / (m * d),
        );
        loss += l.item();
        await l.backward();
        input.free();
      }
    }
    await opt.step();
    opt.zeroGrad();
    losses.push(loss);
  }
  return { losses, samplesPerSecond: (total * batch * d) / ((performance.now() - t0) / 1000) };
}
