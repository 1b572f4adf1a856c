/**
 * A reference for the pipeline tests, written without any of troupe/train: the sample order from
 * the documented rule (SplitMix32 seeded with `seed`, Fisher–Yates from the last index down, a fresh
 * permutation from the same generator at each epoch, replica r of step s taking batch
 * (s mod stepsPerEpoch)·d + r), forward and backward of a ReLU MLP in float64 over the combined batch
 * of all replicas, the loss as the mean softmax cross-entropy over that global batch, and PyTorch's
 * SGD (momentum, Nesterov, weight decay) and AdamW update rules, as in the torch.optim docs.
 */

export type ReferenceOptimizer =
  | { type: 'sgd'; lr: number; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { type: 'adamw'; lr: number; betas: [number, number]; eps: number; weightDecay: number };

export interface ReferenceRun {
  /** Features row-major, labels. */
  x: Float32Array;
  y: Int32Array;
  features: number;
  /** Layer widths, inputs first: Linear layers with ReLU between them. */
  sizes: number[];
  /** Initial weights [out × in] row-major, and biases, per Linear layer. */
  weights: Float32Array[];
  biases: Float32Array[];
  batchSize: number;
  dataParallel: number;
  steps: number;
  seed: number;
  optimizer: ReferenceOptimizer;
  /** The samples of each step, where the run chose them itself (a fleet's loaders); default the documented order. */
  order?: number[][];
}

/** SplitMix32: the state advances by the golden-ratio increment, the output is its mixed value. */
function splitMix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

function shuffled(n: number, next: () => number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/** The samples of every step, replicas' batches one after the other. */
export function sampleOrder(n: number, batch: number, d: number, steps: number, seed: number): number[][] {
  const next = splitMix32(seed);
  const perEpoch = Math.floor(n / (batch * d));
  const out: number[][] = [];
  let order = shuffled(n, next);
  for (let s = 0; s < steps; s++) {
    if (s > 0 && s % perEpoch === 0) order = shuffled(n, next);
    const first = (s % perEpoch) * d * batch;
    out.push(order.slice(first, first + d * batch));
  }
  return out;
}

/** Mean cross-entropy over `rows` and its gradients (dW, db per layer), all in float64. */
function lossAndGradients(
  run: ReferenceRun,
  W: Float64Array[],
  b: Float64Array[],
  rows: number[],
): { loss: number; dW: Float64Array[]; db: Float64Array[] } {
  const L = W.length;
  const N = rows.length;
  const sz = run.sizes;
  // acts[l] is the input of layer l (after ReLU), pre[l] its output before ReLU.
  const acts: Float64Array[] = [new Float64Array(N * sz[0]!)];
  rows.forEach((r, i) => {
    for (let f = 0; f < sz[0]!; f++) acts[0]![i * sz[0]! + f] = run.x[r * run.features + f]!;
  });
  const pre: Float64Array[] = [];
  for (let l = 0; l < L; l++) {
    const nin = sz[l]!;
    const nout = sz[l + 1]!;
    const z = new Float64Array(N * nout);
    for (let i = 0; i < N; i++)
      for (let o = 0; o < nout; o++) {
        let s = b[l]![o]!;
        for (let k = 0; k < nin; k++) s += acts[l]![i * nin + k]! * W[l]![o * nin + k]!;
        z[i * nout + o] = s;
      }
    pre.push(z);
    if (l + 1 < L) acts.push(z.map((v) => Math.max(v, 0)));
  }
  const C = sz[L]!;
  const logits = pre[L - 1]!;
  let grad = new Float64Array(N * C);
  let loss = 0;
  rows.forEach((r, i) => {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, logits[i * C + c]!);
    let denom = 0;
    for (let c = 0; c < C; c++) denom += Math.exp(logits[i * C + c]! - max);
    const label = run.y[r]!;
    loss += -(logits[i * C + label]! - max - Math.log(denom));
    for (let c = 0; c < C; c++)
      grad[i * C + c] = (Math.exp(logits[i * C + c]! - max) / denom - (c === label ? 1 : 0)) / N;
  });
  const dW = W.map((w) => new Float64Array(w.length));
  const db = b.map((v) => new Float64Array(v.length));
  for (let l = L - 1; l >= 0; l--) {
    const nin = sz[l]!;
    const nout = sz[l + 1]!;
    const input = acts[l]!;
    const back = new Float64Array(N * nin);
    for (let i = 0; i < N; i++)
      for (let o = 0; o < nout; o++) {
        const g = grad[i * nout + o]!;
        db[l]![o]! += g;
        for (let k = 0; k < nin; k++) {
          dW[l]![o * nin + k]! += g * input[i * nin + k]!;
          back[i * nin + k]! += g * W[l]![o * nin + k]!;
        }
      }
    if (l > 0) {
      const z = pre[l - 1]!;
      for (let j = 0; j < back.length; j++) if (!(z[j]! > 0)) back[j] = 0;
    }
    grad = back;
  }
  return { loss: loss / N, dW, db };
}

/** Trains a copy of the run's weights; returns the loss of every step and the final weights. */
export function trainByHand(run: ReferenceRun): { losses: number[]; weights: Float64Array[]; biases: Float64Array[] } {
  const W = run.weights.map((w) => Float64Array.from(w));
  const b = run.biases.map((v) => Float64Array.from(v));
  const params = [...W, ...b];
  const o = run.optimizer;
  const slot1 = params.map((p) => new Float64Array(p.length));
  const slot2 = params.map((p) => new Float64Array(p.length));
  const losses: number[] = [];
  const order = run.order ?? sampleOrder(run.y.length, run.batchSize, run.dataParallel, run.steps, run.seed);
  for (let t = 1; t <= run.steps; t++) {
    const { loss, dW, db } = lossAndGradients(run, W, b, order[t - 1]!);
    losses.push(loss);
    const grads = [...dW, ...db];
    params.forEach((p, k) => {
      const g = grads[k]!;
      const buf = slot1[k]!;
      const sq = slot2[k]!;
      for (let i = 0; i < p.length; i++) {
        if (o.type === 'sgd') {
          const mu = o.momentum ?? 0;
          let d = g[i]! + (o.weightDecay ?? 0) * p[i]!;
          if (mu !== 0) {
            buf[i] = t === 1 ? d : mu * buf[i]! + d;
            d = o.nesterov ? d + mu * buf[i]! : buf[i]!;
          }
          p[i]! -= o.lr * d;
        } else {
          const [b1, b2] = o.betas;
          p[i]! *= 1 - o.lr * o.weightDecay;
          buf[i] = b1 * buf[i]! + (1 - b1) * g[i]!;
          sq[i] = b2 * sq[i]! + (1 - b2) * g[i]! * g[i]!;
          const mHat = buf[i]! / (1 - b1 ** t);
          const vHat = sq[i]! / (1 - b2 ** t);
          p[i]! -= (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
        }
      }
    });
  }
  return { losses, weights: W, biases: b };
}
