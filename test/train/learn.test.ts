/** An MLP learns a small real problem (two interleaved spirals) and generalises to held-out points. */
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  clipGradNorm,
  mlp,
  Random,
  SGD,
  softmaxCrossEntropy,
  Tensor,
  type Optimizer,
  type Sequential,
} from '../../src/train/index.js';

/** Two spirals of `n` points each, class 0 and class 1, with a little noise. */
function spirals(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const rng = new Random(seed);
  const x = new Float32Array(4 * n);
  const y = new Int32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const t = 0.25 + 2.75 * Math.PI * rng.next();
    for (const cls of [0, 1]) {
      const r = t / (3 * Math.PI);
      const angle = t + cls * Math.PI;
      const j = 2 * i + cls;
      x[2 * j] = r * Math.cos(angle) + 0.02 * (rng.next() - 0.5);
      x[2 * j + 1] = r * Math.sin(angle) + 0.02 * (rng.next() - 0.5);
      y[j] = cls;
    }
  }
  return { x, y };
}

function accuracy(logits: Float32Array, labels: Int32Array): number {
  let right = 0;
  for (let i = 0; i < labels.length; i++) if ((logits[2 * i + 1]! > logits[2 * i]! ? 1 : 0) === labels[i]) right++;
  return right / labels.length;
}

async function train(model: Sequential, opt: Optimizer, steps: number, clip?: number): Promise<number[]> {
  const data = spirals(200, 1);
  const x = Tensor.from(data.x, [400, 2]);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = await softmaxCrossEntropy(await model.forward(x), data.y);
    opt.zeroGrad();
    await loss.backward();
    if (clip) await clipGradNorm(model.parameters(), clip);
    await opt.step();
    losses.push(loss.item());
  }
  return losses;
}

async function heldOut(model: Sequential): Promise<number> {
  const test = spirals(250, 2);
  return accuracy((await model.forward(Tensor.from(test.x, [500, 2]))).toFloat32Array(), test.y);
}

describe('an MLP learns two spirals', () => {
  it('with AdamW: loss falls and held-out accuracy is high', async () => {
    const model = mlp([2, 64, 64, 2], { seed: 7 });
    const losses = await train(model, new AdamW(model.parameters(), { lr: 0.01, weightDecay: 1e-4 }), 400);
    expect(losses.at(-1)!).toBeLessThan(0.25 * losses[0]!);
    expect(await heldOut(model)).toBeGreaterThan(0.9);
  });

  it('with SGD, Nesterov momentum and gradient clipping, on GELU and LayerNorm', async () => {
    const model = mlp([2, 64, 64, 2], { seed: 8, activation: 'gelu', layerNorm: true });
    const losses = await train(
      model,
      new SGD(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-5 }),
      400,
      1.0,
    );
    expect(losses.at(-1)!).toBeLessThan(0.25 * losses[0]!);
    expect(await heldOut(model)).toBeGreaterThan(0.9);
  });

  it('training is bit-for-bit reproducible for a given thread count', async () => {
    const run = async () => {
      const model = mlp([2, 32, 2], { seed: 3 });
      await train(model, new AdamW(model.parameters(), { lr: 0.01 }), 20);
      return model.parameters().map((p) => Buffer.from(p.toFloat32Array().buffer));
    };
    const [a, b] = [await run(), await run()];
    a.forEach((buf, i) => expect(buf.equals(b[i]!)).toBe(true));
  });
});
