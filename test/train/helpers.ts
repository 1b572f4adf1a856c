/** Shared helpers for the training-library tests. */
import { expect } from 'vitest';
import { Random, Tensor, dataset, type Dataset } from '../../src/train/index.js';

export function randomTensor(
  shape: number[],
  seed: number,
  opts: { requiresGrad?: boolean; awayFromZero?: number } = {},
): Tensor {
  const rng = new Random(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = rng.uniform(n, -1, 1);
  if (opts.awayFromZero)
    for (let i = 0; i < n; i++)
      if (Math.abs(data[i]!) < opts.awayFromZero) data[i] = data[i]! < 0 ? -opts.awayFromZero : opts.awayFromZero;
  return Tensor.from(data, shape, { requiresGrad: opts.requiresGrad ?? false });
}

/** Plain row-major reference GEMM in double: op(A) [m,k] · op(B) [k,n]. */
export function referenceGemm(
  a: Float32Array,
  b: Float32Array,
  m: number,
  n: number,
  k: number,
  ta = false,
  tb = false,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i]! : a[i * k + p]!) * (tb ? b[j * k + p]! : b[p * n + j]!);
      c[i * n + j] = s;
    }
  }
  return c;
}

export function expectClose(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  rtol: number,
  atol: number,
  what = '',
): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) expect.fail(`${what} index ${i}: got ${g}, want ${w}`);
  }
}

/** A small classification problem: 4 Gaussian blobs in 16 dimensions. */
export function blobs(n: number, seed: number): Dataset {
  const rng = new Random(seed);
  const centers = rng.normal(4 * 16, 2);
  const noise = rng.normal(n * 16, 1);
  const x = new Float32Array(n * 16);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 4;
    for (let f = 0; f < 16; f++) x[i * 16 + f] = centers[y[i]! * 16 + f]! + noise[i * 16 + f]!;
  }
  return dataset(x, y, 16, 4);
}
