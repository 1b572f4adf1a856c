/** Native failures arrive as typed TroupeErrors that say what went wrong, never as crashes. */
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../native/index.js';
import { DeviceUnavailableError, InvalidArgumentError, ObjectFreedError } from '../../src/common/errors.js';
import {
  AdamW,
  linear,
  Linear,
  matmul,
  nativeInfo,
  Parameter,
  setThreads,
  SGD,
  softmaxCrossEntropy,
  Tensor,
} from '../../src/train/index.js';
import { randomTensor } from './helpers.js';

describe('errors at the native boundary', () => {
  it('a shape mismatch names both shapes', async () => {
    const a = randomTensor([2, 3], 1);
    const b = randomTensor([4, 5], 2);
    const err = await matmul(a, b).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain('[2,3]');
    expect((err as Error).message).toContain('[4,5]');
    const lin = await linear(randomTensor([8, 3], 3), randomTensor([4, 5], 4)).catch((e: unknown) => e);
    expect((lin as Error).message).toMatch(/\[8,3\].*\[4,5\]/);
  });

  it('wrong dtypes are refused', async () => {
    expect(() => Tensor.from(new Float64Array(4) as unknown as Float32Array, [4])).toThrow(InvalidArgumentError);
    expect(() => Tensor.from(new Float64Array(4) as unknown as Float32Array, [4])).toThrow(
      /Float32Array or Int32Array, got Float64Array/,
    );
    const logits = randomTensor([3, 4], 5);
    const floatLabels = Tensor.from(new Float32Array([0, 1, 2]), [3]);
    await expect(softmaxCrossEntropy(logits, floatLabels)).rejects.toThrow(/labels must be int32, got float32/);
    const intMatrix = Tensor.from(new Int32Array(12), [3, 4]);
    await expect(matmul(intMatrix, randomTensor([4, 2], 6))).rejects.toThrow(InvalidArgumentError);
    expect(() => new Parameter(intMatrix)).toThrow(/must be float32/);
  });

  it('data that does not fit the shape, and labels out of range, are refused', async () => {
    expect(() => Tensor.from(new Float32Array(5), [2, 3])).toThrow(/5 elements but shape \[2,3\] needs 6/);
    expect(() => Tensor.from(new Float32Array(1), [-1])).toThrow(/non-negative integers/);
    await expect(softmaxCrossEntropy(randomTensor([2, 3], 7), new Int32Array([1, 3]))).rejects.toThrow(
      /label 3 at row 1 is outside \[0, 3\)/,
    );
  });

  it('a freed tensor cannot be used, through any handle to its storage', async () => {
    const a = randomTensor([2, 2], 8);
    const view = a.view([4]);
    a.free();
    await expect(matmul(a, a)).rejects.toBeInstanceOf(ObjectFreedError);
    expect(() => a.toArray()).toThrow(ObjectFreedError);
    expect(() => view.toArray()).toThrow(/was freed/);
    expect(view.freed).toBe(true);
    a.free(); // freeing twice is harmless
    const t = randomTensor([2], 9);
    new Parameter(t);
    expect(() => t.toArray()).toThrow(/became a Parameter/);
  });

  it('freeing a tensor while an operation uses it is safe: the operation finishes', async () => {
    const a = randomTensor([300, 300], 10);
    const pending = matmul(a, a);
    a.free();
    const y = await pending;
    expect(y.shape).toEqual([300, 300]);
    expect(Number.isFinite(y.toFloat32Array()[0]!)).toBe(true);
  });

  // A GPU machine: covered by native/gpu-check.sh and test/train/cuda.test.ts. Not a missing component.
  const gpus = nativeInfo().cuda.devices;
  if (gpus > 0) console.log(`errors.test.ts: the no-GPU device error is skipped: this machine has ${gpus} GPU(s)`);
  it.skipIf(gpus > 0)("asking for 'cuda' where there is no GPU says so", () => {
    const err = (() => {
      try {
        Tensor.zeros([2, 2], { device: 'cuda:0' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    expect((err as Error).message).toMatch(
      /device cuda:0 was requested, but (no CUDA library is loaded|no NVIDIA GPU was found)/,
    );
    expect(() => new Linear(2, 2, { device: 'cuda:1' })).toThrow(DeviceUnavailableError);
    expect(() => Tensor.zeros([1], { device: 'tpu:0' as 'cpu' })).toThrow(InvalidArgumentError);
  });

  it('non-handles, bad options and bad settings are refused by name', async () => {
    const n = nativeAddon();
    await expect(n.relu({} as never)).rejects.toThrow(/relu: x must be a native tensor handle/);
    const p = new Linear(2, 2, { seed: 1 }).parameters();
    expect(() => new SGD(p, { lr: 0.1, momentun: 0.9 } as never)).toThrow(
      /unknown SGD option 'momentun'; valid options are: lr, momentum/,
    );
    expect(() => new SGD(p, { lr: -1 })).toThrow(/SGD lr must be a finite number > 0, got -1/);
    expect(() => new AdamW(p, { betas: [0.9, 1.5] })).toThrow(/betas must be two numbers in \[0, 1\)/);
    expect(() => setThreads(0)).toThrow(InvalidArgumentError);
  });
});
