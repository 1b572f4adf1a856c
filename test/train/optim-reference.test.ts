/**
 * Optimizers against PyTorch: an MLP 16-32-32-10 with LayerNorm and GELU, 5 steps of SGD (plain,
 * momentum, dampening, Nesterov, weight decay, clipping) and AdamW (with and without clipping),
 * from the same weights and data as `reference/make-optim-reference.py`, which computed the losses
 * and final weights with PyTorch 2.13's torch.optim (`reference/optim-reference.json`). The
 * reference is independent of Troupe's code; nothing here is computed by the code under test. On
 * CUDA too where a GPU is present (TROUPE_GPU_TESTS=1, as native/gpu-check.sh sets): the CUDA
 * stand-in of cuda-standin.test.ts repeats the CPU formulas, so this is where the GPU's optimizer
 * kernels meet an independent reference.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  clipGradNorm,
  GELU,
  LayerNorm,
  Linear,
  nativeInfo,
  SGD,
  Sequential,
  softmaxCrossEntropy,
  Tensor,
  type Device,
  type Optimizer,
} from '../../src/train/index.js';

interface Case {
  optimizer: 'sgd' | 'adamw';
  hyper: Record<string, number | boolean | number[]>;
  clip: number | null;
  losses: number[];
  final: number[][];
}
interface Reference {
  torch: string;
  sizes: number[];
  x: number[];
  y: number[];
  initial: number[][];
  shapes: number[][];
  cases: Record<string, Case>;
}

const REF = JSON.parse(readFileSync(new URL('./reference/optim-reference.json', import.meta.url), 'utf8')) as Reference;
const [IN, H1, H2, OUT] = REF.sizes as [number, number, number, number];
const STEPS = 5;
const BATCH = REF.y.length / STEPS;

function makeOptimizer(c: Case, model: Sequential): Optimizer {
  const h = c.hyper;
  if (c.optimizer === 'sgd') {
    return new SGD(model.parameters(), {
      lr: h.lr as number,
      momentum: (h.momentum as number) ?? 0,
      dampening: (h.dampening as number) ?? 0,
      weightDecay: (h.weight_decay as number) ?? 0,
      nesterov: (h.nesterov as boolean) ?? false,
    });
  }
  return new AdamW(model.parameters(), {
    lr: h.lr as number,
    betas: h.betas as [number, number],
    eps: h.eps as number,
    weightDecay: h.weight_decay as number,
  });
}

async function run(c: Case, device: Device): Promise<{ losses: number[]; final: Float32Array[] }> {
  const model = new Sequential(
    new Linear(IN, H1, { device }),
    new LayerNorm(H1, 1e-5, device),
    new GELU(),
    new Linear(H1, H2, { device }),
    new GELU(),
    new Linear(H2, OUT, { device }),
  );
  const params = model.parameters();
  expect(params.map((p) => p.shape)).toEqual(REF.shapes);
  params.forEach((p, i) => p.copyFrom(Float32Array.from(REF.initial[i]!)));
  const opt = makeOptimizer(c, model);
  const losses: number[] = [];
  for (let t = 0; t < STEPS; t++) {
    const x = Tensor.from(Float32Array.from(REF.x.slice(t * BATCH * IN, (t + 1) * BATCH * IN)), [BATCH, IN], {
      device,
    });
    const y = Int32Array.from(REF.y.slice(t * BATCH, (t + 1) * BATCH));
    model.zeroGrad();
    const loss = await softmaxCrossEntropy(await model.forward(x), y);
    await loss.backward();
    if (c.clip !== null) await clipGradNorm(params, c.clip);
    await opt.step();
    losses.push(loss.item());
  }
  return { losses, final: params.map((p) => p.toArray() as Float32Array) };
}

const gpu = process.env.TROUPE_GPU_TESTS === '1' && nativeInfo().cuda.devices > 0;
if (!gpu) console.log('optim-reference: CUDA cases skipped (needs a GPU and TROUPE_GPU_TESTS=1)');

for (const device of ['cpu', 'cuda:0'] as const) {
  describe.skipIf(device !== 'cpu' && !gpu)(`optimizers match PyTorch ${REF.torch} over 5 steps on ${device}`, () => {
    for (const [name, c] of Object.entries(REF.cases)) {
      it(name, async () => {
        const got = await run(c, device);
        got.losses.forEach((l, t) => expect(l, `loss at step ${t}`).toBeCloseTo(c.losses[t]!, 5));
        let worst = 0;
        got.final.forEach((w, i) => {
          const want = c.final[i]!;
          for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(w[j]! - want[j]!));
        });
        expect(worst, 'largest weight difference after 5 steps').toBeLessThan(2e-5);
      });
    }
  });
}
