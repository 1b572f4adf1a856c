/**
 * Differentiable operations. Each runs its native kernel off the event loop and, when an input
 * requires grad, records a GradNode whose backward runs the matching native backward kernel.
 */
import { nativeAddon, type NativeTensor } from '../../native/index.js';
import { InvalidArgumentError } from '../common/index.js';
import { Tensor, type GradNode } from './tensor.js';

type Grads = Array<Tensor | null>;

function out(h: NativeTensor, shape: readonly number[], like: Tensor): Tensor {
  return new Tensor(h, shape, 'float32', like.device);
}

function sameDevice(op: string, ...ts: Array<Tensor | null | undefined>): void {
  const present = ts.filter((t): t is Tensor => !!t);
  const first = present[0]!;
  for (const t of present) {
    if (t.device !== first.device) {
      throw new InvalidArgumentError(`${op}: tensors are on different devices (${first.device} and ${t.device})`);
    }
  }
}

/**
 * Attaches a grad node to `result` when any input requires grad. `backward` receives the output
 * gradient and what was saved; after the pass the saved values are dropped.
 */
function record<S>(
  result: Tensor,
  name: string,
  inputs: Tensor[],
  saved: S,
  backward: (grad: Tensor, saved: S) => Promise<Grads>,
): Tensor {
  if (!inputs.some((t) => t.requiresGrad)) return result;
  let kept: { saved: S } | null = { saved };
  const node: GradNode = {
    name,
    inputs,
    backward: async (grad) => {
      if (kept === null) {
        throw new InvalidArgumentError(`${name}: backward through this graph already ran; run the forward pass again`);
      }
      return backward(grad, kept.saved);
    },
    release: () => {
      kept = null;
    },
  };
  result.requiresGrad = true;
  result.gradFn = node;
  return result;
}

/** op(a) @ op(b) for 2-D tensors. */
export async function matmul(a: Tensor, b: Tensor): Promise<Tensor> {
  sameDevice('matmul', a, b);
  const n = nativeAddon();
  const y = out(await n.matmul(a.handle, b.handle, false, false), [a.shape[0]!, b.shape[1]!], a);
  return record(y, 'matmul', [a, b], null, async (g) => [
    a.requiresGrad ? out(await n.matmul(g.handle, b.handle, false, true), a.shape, a) : null,
    b.requiresGrad ? out(await n.matmul(a.handle, g.handle, true, false), b.shape, b) : null,
  ]);
}

/** x @ weightᵀ + bias, with weight [out, in] as in PyTorch. */
export async function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Promise<Tensor> {
  sameDevice('linear', x, weight, bias);
  const n = nativeAddon();
  const y = out(await n.linear(x.handle, weight.handle, bias ? bias.handle : null), [x.shape[0]!, weight.shape[0]!], x);
  const inputs = bias ? [x, weight, bias] : [x, weight];
  return record(y, 'linear', inputs, null, async (g) => {
    const r = await n.linearBackward(x.handle, weight.handle, g.handle, x.requiresGrad, bias !== null);
    const grads: Grads = [r.dx ? out(r.dx, x.shape, x) : null, out(r.dweight, weight.shape, weight)];
    if (bias) grads.push(out(r.dbias!, bias.shape, bias));
    return grads;
  });
}

function activation(name: 'relu' | 'gelu') {
  return async (x: Tensor): Promise<Tensor> => {
    const n = nativeAddon();
    const y = out(await n[name](x.handle), x.shape, x);
    const back = name === 'relu' ? n.reluBackward : n.geluBackward;
    return record(y, name, [x], null, async (g) => [out(await back(x.handle, g.handle), x.shape, x)]);
  };
}

/** max(x, 0). */
export const relu = activation('relu');
/** Exact GELU, x·Φ(x). */
export const gelu = activation('gelu');

/** LayerNorm over the last dimension: (x − mean) / sqrt(var + eps) · gamma + beta. */
export async function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Promise<Tensor> {
  sameDevice('layerNorm', x, gamma, beta);
  const n = nativeAddon();
  const r = await n.layerNorm(x.handle, gamma.handle, beta.handle, eps);
  const y = out(r.y, x.shape, x);
  const stats = { mean: r.mean, rstd: r.rstd };
  const result = record(y, 'layerNorm', [x, gamma, beta], stats, async (g, s) => {
    const b = await n.layerNormBackward(x.handle, gamma.handle, s.mean, s.rstd, g.handle);
    return [out(b.dx, x.shape, x), out(b.dgamma, gamma.shape, gamma), out(b.dbeta, beta.shape, beta)];
  });
  if (!result.gradFn) {
    n.free(r.mean);
    n.free(r.rstd);
  }
  return result;
}

/** a + b (same shape). */
export async function add(a: Tensor, b: Tensor): Promise<Tensor> {
  sameDevice('add', a, b);
  const y = out(await nativeAddon().add(a.handle, b.handle), a.shape, a);
  return record(y, 'add', [a, b], null, async (g) => [g, g]);
}

/** a · factor. */
export async function scale(a: Tensor, factor: number): Promise<Tensor> {
  const n = nativeAddon();
  const y = out(await n.scale(a.handle, factor), a.shape, a);
  return record(y, 'scale', [a], null, async (g) => [out(await n.scale(g.handle, factor), a.shape, a)]);
}

/** The sum of every element, as a tensor of shape []. */
export async function sum(a: Tensor): Promise<Tensor> {
  const n = nativeAddon();
  const y = out(await n.sum(a.handle), [], a);
  return record(y, 'sum', [a], null, async (g) => [Tensor.full(a.shape, g.item(), { device: a.device })]);
}

/** The mean of every element, as a tensor of shape []. */
export async function mean(a: Tensor): Promise<Tensor> {
  const total = await sum(a);
  const m = await scale(total, 1 / Math.max(1, a.size));
  if (!total.requiresGrad) total.free();
  return m;
}

/**
 * Softmax cross-entropy over class indices, averaged over rows: logits [N, C], labels int32 [N]
 * (a Tensor or an Int32Array). Fused: the gradient is computed with the loss and kept for backward.
 */
export async function softmaxCrossEntropy(logits: Tensor, labels: Tensor | Int32Array): Promise<Tensor> {
  const n = nativeAddon();
  let labelTensor: Tensor;
  if (labels instanceof Tensor) {
    labelTensor = labels;
  } else if (labels instanceof Int32Array) {
    labelTensor = Tensor.from(labels, [labels.length], { device: logits.device });
  } else {
    throw new InvalidArgumentError(
      `softmaxCrossEntropy: labels must be an int32 Tensor or an Int32Array, got ${describe(labels)}`,
      {
        context: { field: 'labels' },
      },
    );
  }
  sameDevice('softmaxCrossEntropy', logits, labelTensor);
  try {
    const r = await n.softmaxCrossEntropy(logits.handle, labelTensor.handle);
    const loss = out(r.loss, [], logits);
    const result = record(loss, 'softmaxCrossEntropy', [logits], { dlogits: r.dlogits }, async (g, s) => {
      const upstream = g.item();
      if (upstream === 1) return [out(s.dlogits, logits.shape, logits)];
      const scaled = await n.scale(s.dlogits, upstream);
      n.free(s.dlogits);
      return [out(scaled, logits.shape, logits)];
    });
    if (!result.gradFn) n.free(r.dlogits);
    return result;
  } finally {
    if (labelTensor !== labels) labelTensor.free();
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}
