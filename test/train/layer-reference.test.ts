/**
 * Every op and layer of troupe/train against PyTorch: forward outputs and the gradients backward
 * gives for a fixed upstream gradient, from the small fixed inputs of
 * `reference/make-layer-reference.py`, which computed them with PyTorch 2.13 in float64
 * (`reference/layer-reference.json`). Nothing here is computed by the code under test. On CUDA
 * too where a GPU is present (TROUPE_GPU_TESTS=1, as native/gpu-check.sh sets).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  add,
  GELU,
  gelu,
  LayerNorm,
  layerNorm,
  Linear,
  linear,
  matmul,
  mean,
  nativeInfo,
  type Parameter,
  ReLU,
  relu,
  scale,
  softmaxCrossEntropy,
  sum,
  Tensor,
  type Device,
} from '../../src/train/index.js';

interface Stored {
  shape: number[];
  data: number[];
}
interface Case {
  params: { eps?: number; factor?: number; labels?: number[] };
  inputs: Record<string, Stored>;
  output: Stored;
  upstream: number[];
  grads: Record<string, number[]>;
}
const REF = JSON.parse(readFileSync(new URL('./reference/layer-reference.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Record<string, Case>;
};

type Inputs = Record<string, Tensor>;
/**
 * How each case runs in Troupe. A module owns its parameters: the case's values are copied into
 * them, and they go into `owned`, whose gradients are then checked in place of the inputs'.
 */
type Runner = (t: Inputs, c: Case, owned: Record<string, Parameter>) => Promise<Tensor>;
const RUN: Record<string, Runner> = {
  matmul: (t) => matmul(t.a!, t.b!),
  'matmul-tall': (t) => matmul(t.a!, t.b!),
  linear: (t) => linear(t.x!, t.weight!, t.bias!),
  'linear-no-bias': (t) => linear(t.x!, t.weight!),
  'linear-large': (t) => linear(t.x!, t.weight!, t.bias!),
  relu: (t) => relu(t.input!),
  gelu: (t) => gelu(t.input!),
  layerNorm: (t, c) => layerNorm(t.x!, t.gamma!, t.beta!, c.params.eps),
  'layerNorm-small-variance': (t, c) => layerNorm(t.x!, t.gamma!, t.beta!, c.params.eps),
  'layerNorm-eps-1e-3': (t, c) => layerNorm(t.x!, t.gamma!, t.beta!, c.params.eps),
  add: (t) => add(t.a!, t.b!),
  scale: (t, c) => scale(t.a!, c.params.factor!),
  sum: (t) => sum(t.a!),
  mean: (t) => mean(t.a!),
  softmaxCrossEntropy: (t, c) => softmaxCrossEntropy(t.logits!, Int32Array.from(c.params.labels!)),
  'module-Linear': (t, c, owned) => {
    const m = new Linear(t.weight!.shape[1]!, t.weight!.shape[0]!, { device: t.x!.device });
    own(owned, c, { weight: m.weight, bias: m.bias! });
    return m.forward(t.x!);
  },
  // Default eps, as nn.LayerNorm's.
  'module-LayerNorm': (t, c, owned) => {
    const m = new LayerNorm(t.x!.shape[1]!, undefined, t.x!.device);
    own(owned, c, { gamma: m.gamma, beta: m.beta });
    return m.forward(t.x!);
  },
  'module-GELU': (t) => new GELU().forward(t.input!),
  'module-ReLU': (t) => new ReLU().forward(t.input!),
};

function own(owned: Record<string, Parameter>, c: Case, params: Record<string, Parameter>): void {
  for (const [k, p] of Object.entries(params)) {
    p.copyFrom(Float32Array.from(c.inputs[k]!.data));
    owned[k] = p;
  }
}

/** |got − want| ≤ 1e-5·|want| + 1e-6·max|want|: relative for float32, with room for values that cancel to near 0. */
function expectMatches(got: ArrayLike<number>, want: number[], what: string): number {
  expect(got.length, `${what}: length`).toBe(want.length);
  const big = Math.max(1e-30, ...want.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i]! - want[i]!) / (Math.abs(want[i]!) + 0.1 * big);
    worst = Math.max(worst, err);
    if (err > 1e-5)
      expect.fail(`${what}[${i}]: ${got[i]} against PyTorch's ${want[i]} (error ${err.toExponential(2)})`);
  }
  return worst;
}

async function check(name: string, c: Case, device: Device): Promise<number> {
  const leaves: Inputs = {};
  for (const [k, v] of Object.entries(c.inputs))
    leaves[k] = Tensor.from(Float32Array.from(v.data), v.shape, { requiresGrad: true, device });
  const owned: Record<string, Parameter> = {};
  const y = await RUN[name]!(leaves, c, owned);
  expect(y.shape, `${name}: output shape`).toEqual(c.output.shape);
  let worst = expectMatches(y.toArray(), c.output.data, `${name} output`);
  const upstream = Tensor.from(Float32Array.from(c.upstream), c.output.shape, { device });
  await y.backward(upstream);
  for (const [k, want] of Object.entries(c.grads)) {
    const leaf = owned[k] ?? leaves[k]!;
    expect(leaf.grad, `${name}: gradient of ${k}`).not.toBeNull();
    worst = Math.max(worst, expectMatches(leaf.grad!.toArray(), want, `${name} d${k}`));
  }
  return worst;
}

const gpu = process.env.TROUPE_GPU_TESTS === '1' && nativeInfo().cuda.devices > 0;
const devices: Device[] = gpu ? ['cpu', 'cuda:0'] : ['cpu'];
if (!gpu) console.log('layer-reference: CUDA cases skipped (needs a GPU and TROUPE_GPU_TESTS=1)');

for (const device of devices) {
  describe(`ops and layers match PyTorch ${REF.torch} on ${device}`, () => {
    it('has a runner for every case the reference holds, and a case for every op and layer', () => {
      expect(Object.keys(RUN).sort()).toEqual(Object.keys(REF.cases).sort());
    });
    for (const [name, c] of Object.entries(REF.cases)) {
      it(name, async () => {
        const worst = await check(name, c, device);
        console.log(`${device} ${name}: worst relative error ${worst.toExponential(2)}`);
      });
    }
  });
}
