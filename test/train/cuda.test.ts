/**
 * Tensors on 'cuda:0'. Without a GPU: every way of asking for one fails with a typed error naming
 * the device and the reason. With TROUPE_GPU_TESTS=1 on a GPU machine (native/gpu-check.sh runs
 * this file so): every op the addon offers against its CPU result, autograd through the layers,
 * optimizers and clipping, an MLP training step equal to the CPU's within 1e-4, and a one-rank NCCL
 * communicator through the collective backend.
 */
import { describe, expect, it } from 'vitest';
import { nativeAddon, type NativeTensor } from '../../native/index.js';
import { ncclBackend } from '../../src/collective/nccl.js';
import { DeviceUnavailableError, InvalidArgumentError } from '../../src/common/errors.js';
import { logger } from '../../src/common/logger.js';
import {
  AdamW,
  add,
  clipGradNorm,
  gelu,
  layerNorm,
  linear,
  Linear,
  matmul,
  mean,
  mlp,
  nativeInfo,
  Parameter,
  relu,
  scale,
  SGD,
  softmaxCrossEntropy,
  sum,
  Tensor,
  type Device,
  type Optimizer,
} from '../../src/train/index.js';
import { expectClose, randomTensor } from './helpers.js';

const GPU: Device = 'cuda:0';
const info = nativeInfo().cuda;
const wanted = process.env.TROUPE_GPU_TESTS === '1';
const skipReason = !wanted ? 'TROUPE_GPU_TESTS is not 1' : info.devices === 0 ? `no GPU here: ${info.reason}` : null;
if (skipReason) console.log(`cuda.test.ts: GPU tests skipped: ${skipReason}`);
if (info.devices > 0) console.log(`cuda.test.ts: no-GPU error tests skipped: this machine has ${info.devices} GPU(s)`);

describe.skipIf(info.devices > 0)('without a GPU, cuda devices fail with typed errors', () => {
  const refused = (fn: () => unknown): Error => {
    try {
      fn();
    } catch (e) {
      return e as Error;
    }
    throw new Error('expected a throw');
  };
  const reason = /(no CUDA library is loaded|no NVIDIA GPU was found)/;

  it('every constructor names the device and the reason', () => {
    for (const make of [
      () => Tensor.zeros([2], { device: GPU }),
      () => Tensor.from(new Float32Array(2), [2], { device: GPU }),
      () => Tensor.full([2], 1, { device: 'cuda:3' }),
      () => Tensor.from(new Int32Array(2), [2], { device: GPU }),
      () => randomTensor([2, 2], 1).to(GPU),
      () => new Linear(3, 2, { device: GPU }),
      () => mlp([4, 3, 2], { device: GPU, layerNorm: true }),
    ]) {
      const err = refused(make);
      expect(err).toBeInstanceOf(DeviceUnavailableError);
      expect(err.message).toMatch(/device cuda:\d was requested, but /);
      expect(err.message).toMatch(reason);
    }
  });

  it('a GPU-only call fails as DeviceUnavailableError naming what is missing', () => {
    const err = refused(() => nativeAddon().ncclUniqueId());
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect(err.message).toMatch(/ncclUniqueId/);
    expect(err.message).toMatch(/NCCL not found|no CUDA library/);
  });

  it('Tensor.to between host copies is exact and independent', () => {
    const a = randomTensor([3, 2], 2);
    const b = a.to('cpu');
    expect(b).not.toBe(a);
    expect(b.toArray()).toEqual(a.toArray());
    a.free();
    expect(b.toArray().length).toBe(6);
  });
});

// ---- On a GPU ------------------------------------------------------------------------------

const RTOL = 1e-4;
const ATOL = 1e-5;

/** The same random tensor on the CPU and on the GPU. */
function pair(shape: number[], seed: number, requiresGrad = false): [Tensor, Tensor] {
  const cpu = randomTensor(shape, seed, { requiresGrad });
  return [cpu, cpu.to(GPU, { requiresGrad })];
}

function same(gpu: Tensor, cpu: Tensor, what: string, rtol = RTOL, atol = ATOL): void {
  expect(gpu.device).toBe(GPU);
  expect(gpu.shape).toEqual(cpu.shape);
  expectClose(gpu.toFloat32Array(), cpu.toFloat32Array(), rtol, atol, what);
}

const wrapNative = (h: NativeTensor, like: Tensor, shape = like.shape): Tensor =>
  new Tensor(h, shape, 'float32', like.device);

describe.skipIf(skipReason !== null)('ops on cuda:0 equal their CPU result', () => {
  const n = () => nativeAddon();

  it('Tensor.to copies both ways bit-exactly; int32 too', () => {
    const [c] = pair([5, 7], 1);
    const g = c.to(GPU);
    expect(g.device).toBe(GPU);
    expect(g.to('cpu').toArray()).toEqual(c.toArray());
    const labels = Tensor.from(new Int32Array([3, 1, 4]), [3]).to(GPU);
    expect(labels.dtype).toBe('int32');
    expect([...labels.toArray()]).toEqual([3, 1, 4]);
  });

  it('matmul in every transpose combination (cuBLAS)', async () => {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
      [true, true],
    ] as const) {
      const [a, ga] = pair(ta ? [33, 17] : [17, 33], 2);
      const [b, gb] = pair(tb ? [9, 33] : [33, 9], 3);
      const cpu = wrapNative(await n().matmul(a.handle, b.handle, ta, tb), a, [17, 9]);
      const gpu = wrapNative(await n().matmul(ga.handle, gb.handle, ta, tb), ga, [17, 9]);
      same(gpu, cpu, `matmul ta=${ta} tb=${tb}`);
    }
    const [a, ga] = pair([4, 5], 4);
    const [b, gb] = pair([5, 6], 5);
    same(await matmul(ga, gb), await matmul(a, b), 'ops.matmul');
    await expect(n().matmul(ga.handle, gb.handle, false, false, 'fallback')).rejects.toThrow(
      /backend 'fallback' is a CPU GEMM; tensors on cuda:0/,
    );
  });

  it('linear forward and backward (with and without bias)', async () => {
    for (const withBias of [true, false]) {
      const [x, gx] = pair([8, 5], 6, true);
      const [w, gw] = pair([3, 5], 7, true);
      const [b, gb] = withBias ? pair([3], 8, true) : [null, null];
      const [up, gup] = pair([8, 3], 9);
      const y = await linear(x, w, b);
      const gy = await linear(gx, gw, gb);
      same(gy, y, 'linear y');
      await y.backward(up);
      await gy.backward(gup);
      same(gx.grad!, x.grad!, 'linear dx');
      same(gw.grad!, w.grad!, 'linear dweight');
      if (withBias) same(gb!.grad!, b!.grad!, 'linear dbias');
    }
  });

  it('relu and gelu (exact) forward and backward', async () => {
    for (const [name, f] of [
      ['relu', relu],
      ['gelu', gelu],
    ] as const) {
      const [x, gx] = pair([6, 11], 10, true);
      const [up, gup] = pair([6, 11], 11);
      const y = await f(x);
      const gy = await f(gx);
      same(gy, y, `${name} y`);
      await y.backward(up);
      await gy.backward(gup);
      same(gx.grad!, x.grad!, `${name} dx`);
    }
  });

  it('layerNorm forward and backward', async () => {
    const [x, gx] = pair([7, 13], 12, true);
    const [gamma, ggamma] = pair([13], 13, true);
    const [beta, gbeta] = pair([13], 14, true);
    const [up, gup] = pair([7, 13], 15);
    const y = await layerNorm(x, gamma, beta);
    const gy = await layerNorm(gx, ggamma, gbeta);
    same(gy, y, 'layerNorm y');
    await y.backward(up);
    await gy.backward(gup);
    same(gx.grad!, x.grad!, 'layerNorm dx', 1e-3, 1e-4);
    same(ggamma.grad!, gamma.grad!, 'layerNorm dgamma', 1e-3, 1e-4);
    same(gbeta.grad!, beta.grad!, 'layerNorm dbeta');
  });

  it('softmax cross-entropy: loss and dlogits; a bad label is refused by row', async () => {
    const [logits, glogits] = pair([9, 5], 16, true);
    const labels = new Int32Array([0, 4, 2, 1, 3, 3, 0, 2, 4]);
    const loss = await softmaxCrossEntropy(logits, labels);
    const gloss = await softmaxCrossEntropy(glogits, labels);
    same(gloss, loss, 'loss');
    await loss.backward();
    await gloss.backward();
    same(glogits.grad!, logits.grad!, 'dlogits');
    await expect(softmaxCrossEntropy(glogits.detach(), new Int32Array([0, 1, 2, 3, 5, 0, 0, 0, 0]))).rejects.toThrow(
      /label 5 at row 4 is outside \[0, 5\)/,
    );
  });

  it('add, scale, sum, mean, and gradient accumulation', async () => {
    const [a, ga] = pair([4, 6], 17, true);
    const [b, gb] = pair([4, 6], 18, true);
    // a is used twice, so its gradient accumulates (native accumulate).
    const y = await sum(await add(await scale(a, 2.5), await add(a, b)));
    const gy = await sum(await add(await scale(ga, 2.5), await add(ga, gb)));
    same(gy, y, 'sum');
    await y.backward();
    await gy.backward();
    same(ga.grad!, a.grad!, 'd/da');
    same(gb.grad!, b.grad!, 'd/db');
    const [c, gc] = pair([100], 19);
    same(await mean(gc), await mean(c), 'mean');
  });

  it('fill and sumRows (native)', async () => {
    const [x, gx] = pair([37, 5], 20);
    same(wrapNative(await n().sumRows(gx.handle), gx, [5]), wrapNative(await n().sumRows(x.handle), x, [5]), 'sumRows');
    for (const v of [0, -1.5]) {
      await n().fill(gx.handle, v);
      expect([...gx.toFloat32Array()].every((e) => e === v)).toBe(true);
    }
  });

  async function optimizerRun(make: (p: Parameter[]) => Optimizer, device: Device): Promise<Float32Array[]> {
    const params = [0, 1].map((i) => new Parameter(randomTensor([5, 3 + i], 30 + i).to(device)));
    const opt = make(params);
    for (let step = 0; step < 3; step++) {
      for (const [i, p] of params.entries()) {
        p.grad?.free();
        p.grad = randomTensor(p.shape as number[], 40 + 10 * step + i).to(device);
      }
      await opt.step();
    }
    return params.map((p) => p.toFloat32Array());
  }

  it('SGD (momentum, dampening, Nesterov, weight decay) and AdamW, 3 steps', async () => {
    const makers: Array<[string, (p: Parameter[]) => Optimizer]> = [
      ['sgd', (p) => new SGD(p, { lr: 0.1 })],
      ['sgd momentum wd', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, weightDecay: 0.01 })],
      ['sgd dampening', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.3 })],
      ['sgd nesterov', (p) => new SGD(p, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 })],
      ['adamw', (p) => new AdamW(p, { lr: 1e-2, weightDecay: 0.01 })],
    ];
    for (const [name, make] of makers) {
      const cpu = await optimizerRun(make, 'cpu');
      const gpu = await optimizerRun(make, GPU);
      cpu.forEach((c, i) => expectClose(gpu[i]!, c, RTOL, ATOL, `${name} param ${i}`));
    }
  });

  it('clipGradNorm: same norm and same clipped gradients', async () => {
    for (const maxNorm of [0.5, 1e6, Infinity]) {
      const run = async (device: Device) => {
        const ps = [0, 1].map((i) => new Parameter(randomTensor([4, 4], 50 + i).to(device)));
        ps.forEach((p, i) => (p.grad = randomTensor([4, 4], 60 + i).to(device)));
        const norm = await clipGradNorm(ps, maxNorm);
        return { norm, grads: ps.map((p) => p.grad!.toFloat32Array()) };
      };
      const c = await run('cpu');
      const g = await run(GPU);
      expect(g.norm).toBeCloseTo(c.norm, 4);
      c.grads.forEach((cg, i) => expectClose(g.grads[i]!, cg, RTOL, ATOL, `clip ${maxNorm} grad ${i}`));
    }
  });

  it('an MLP training step on cuda equals the CPU step within 1e-4', async () => {
    const step = async (device: Device) => {
      const model = mlp([12, 16, 16, 4], { seed: 7, device, activation: 'gelu', layerNorm: true });
      const opt = new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
      const x = randomTensor([10, 12], 70).to(device);
      const labels = new Int32Array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) {
        opt.zeroGrad();
        const loss = await softmaxCrossEntropy(await model.forward(x), labels);
        losses.push(loss.item());
        await loss.backward();
        await opt.step();
      }
      return { losses, params: model.parameters().map((p) => p.toFloat32Array()) };
    };
    const c = await step('cpu');
    const g = await step(GPU);
    expectClose(g.losses, c.losses, 1e-4, 1e-4, 'losses');
    c.params.forEach((p, i) => expectClose(g.params[i]!, p, 1e-4, 1e-4, `param ${i}`));
  });

  it('mixed devices are refused naming both devices', async () => {
    const [a, ga] = pair([3, 3], 80);
    await expect(matmul(a, ga)).rejects.toThrow(/cpu.*cuda:0|cuda:0.*cpu/);
    await expect(n().add(a.handle, ga.handle)).rejects.toThrow(InvalidArgumentError);
    await expect(n().add(a.handle, ga.handle)).rejects.toThrow(/a is on cpu but b is on cuda:0/);
    const w = new Parameter(randomTensor([3, 3], 81));
    w.grad = randomTensor([3, 3], 82).to(GPU);
    await expect(new SGD([w], { lr: 0.1 }).step()).rejects.toThrow(/params\[0\] is on cpu but grads\[0\] is on cuda:0/);
  });
});

describe.skipIf(skipReason !== null)('NCCL on one rank through the collective backend', () => {
  let ncclReason: string | null = null;
  try {
    if (!skipReason) nativeAddon().ncclVersion();
  } catch (e) {
    ncclReason = (e as Error).message;
  }
  const required = process.env.TROUPE_REQUIRE_NCCL === '1';
  if (ncclReason && !required) console.log(`cuda.test.ts: NCCL tests skipped: ${ncclReason}`);

  it.skipIf(ncclReason !== null && !required)(
    'allreduce, broadcast, allgather, reduceScatter and barrier on a 1-rank communicator',
    async () => {
      const endpoint = await ncclBackend({ rank: 0, size: 1, token: 't', host: '127.0.0.1', log: logger('test') });
      expect(Buffer.from(endpoint.rendezvous, 'base64').length).toBe(128);
      const ops = await endpoint.connect([endpoint.rendezvous], 30_000);
      try {
        const data = Float32Array.from({ length: 1000 }, (_, i) => i * 0.5 - 7);
        expect([...(await ops.allreduce(data))]).toEqual([...data]);
        expect([...(await ops.allreduce(data, { op: 'mean' }))]).toEqual([...data]);
        const f64 = Float64Array.of(1, 2, 3);
        expect([...(await ops.allreduce(f64, { op: 'max', inPlace: true }))]).toEqual([1, 2, 3]);
        expect([...(await ops.broadcast(data, 0))]).toEqual([...data]);
        expect([...(await ops.allgather(Float32Array.of(4, 5)))]).toEqual([4, 5]);
        expect([...(await ops.reduceScatter(Float32Array.of(1, 2, 3)))]).toEqual([1, 2, 3]);
        await ops.barrier();
      } finally {
        await ops.close();
      }
      await expect(ops.barrier()).rejects.toThrow(/communicator is gone/);
    },
  );
});
