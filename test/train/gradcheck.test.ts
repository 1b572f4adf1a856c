/**
 * Every backward pass against central finite differences. Each check drives the output with a
 * fixed random upstream gradient R (so transposes and broadcasts cannot hide behind a gradient of
 * ones), i.e. checks d(sum(f(x) ⊙ R))/dx, with the loss summed in double on the host.
 */
import { describe, expect, it } from 'vitest';
import {
  add,
  gelu,
  layerNorm,
  linear,
  matmul,
  mean,
  relu,
  scale,
  softmaxCrossEntropy,
  sum,
  type Tensor,
} from '../../src/train/index.js';
import { expectClose, randomTensor } from './helpers.js';

type Forward = (inputs: Tensor[]) => Promise<Tensor>;

/** Compares autograd's gradient of every input with finite differences, element by element. */
async function gradcheck(
  f: Forward,
  inputs: Tensor[],
  opts: { eps?: number; rtol?: number; atol?: number } = {},
): Promise<void> {
  const eps = opts.eps ?? 1e-2;
  const out = await f(inputs);
  const upstream = randomTensor([...out.shape], 99);
  const r = upstream.toFloat32Array();
  const loss = async () => {
    const y = (await f(inputs.map((t) => t.detach()))).toFloat32Array();
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]! * r[i]!;
    return s;
  };
  await out.backward(upstream);
  for (const [k, x] of inputs.entries()) {
    if (!x.requiresGrad) continue;
    const analytic = x.grad!.toFloat32Array();
    const data = x.toFloat32Array();
    const numeric = new Float64Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const orig = data[i]!;
      data[i] = orig + eps;
      x.copyFrom(data);
      const plus = await loss();
      data[i] = orig - eps;
      x.copyFrom(data);
      const minus = await loss();
      data[i] = orig;
      x.copyFrom(data);
      numeric[i] = (plus - minus) / (2 * eps);
    }
    expectClose(analytic, numeric, opts.rtol ?? 2e-2, opts.atol ?? 2e-3, `input ${k}`);
  }
}

const g = (shape: number[], seed: number, awayFromZero?: number) =>
  randomTensor(shape, seed, { requiresGrad: true, ...(awayFromZero ? { awayFromZero } : {}) });

describe('backward passes match finite differences', () => {
  it('matmul', async () => {
    await gradcheck(([a, b]) => matmul(a!, b!), [g([3, 4], 1), g([4, 5], 2)]);
  });

  it('linear with bias', async () => {
    await gradcheck(([x, w, b]) => linear(x!, w!, b!), [g([4, 3], 3), g([5, 3], 4), g([5], 5)]);
  });

  it('linear without bias, input not requiring grad', async () => {
    await gradcheck(([x, w]) => linear(x!, w!), [randomTensor([4, 3], 6), g([2, 3], 7)]);
  });

  it('relu (inputs away from the kink)', async () => {
    await gradcheck(([x]) => relu(x!), [g([3, 5], 8, 0.05)], { eps: 1e-2 });
  });

  it('gelu', async () => {
    await gradcheck(([x]) => gelu(x!), [g([3, 5], 9)]);
  });

  it('layerNorm: input, gamma and beta', async () => {
    await gradcheck(([x, gamma, beta]) => layerNorm(x!, gamma!, beta!), [g([3, 6], 10), g([6], 11), g([6], 12)], {
      eps: 1e-2,
      rtol: 3e-2,
      atol: 5e-3,
    });
  });

  it('softmax cross-entropy over class indices', async () => {
    const labels = new Int32Array([2, 0, 4, 1]);
    await gradcheck(([logits]) => softmaxCrossEntropy(logits!, labels), [g([4, 5], 13)]);
  });

  it('add, scale, sum and mean', async () => {
    await gradcheck(([a, b]) => add(a!, b!), [g([2, 3], 14), g([2, 3], 15)]);
    await gradcheck(([a]) => scale(a!, -2.5), [g([2, 3], 16)]);
    await gradcheck(([a]) => sum(a!), [g([2, 3], 17)]);
    await gradcheck(([a]) => mean(a!), [g([2, 3], 18)]);
  });

  it('a composed network: linear → layerNorm → gelu → linear → cross-entropy, with a reused input', async () => {
    const labels = new Int32Array([1, 0, 2]);
    await gradcheck(
      async ([x, w1, gamma, beta, w2]) => {
        const h = await linear(x!, w1!);
        const n = await layerNorm(h, gamma!, beta!);
        const a = await add(await gelu(n), n);
        return softmaxCrossEntropy(await linear(a, w2!), labels);
      },
      [g([3, 4], 19), g([6, 4], 20), g([6], 21), g([6], 22), g([3, 6], 23)],
      { rtol: 3e-2, atol: 5e-3 },
    );
  });

  it('gradients accumulate across backward calls and the graph is used once', async () => {
    const x = g([2, 2], 24);
    const y1 = await sum(await scale(x, 3));
    await y1.backward();
    const y2 = await sum(await scale(x, 3));
    await y2.backward();
    expect([...x.grad!.toFloat32Array()]).toEqual([6, 6, 6, 6]);
    await expect(y1.backward()).rejects.toThrow(/already ran/);
  });
});
