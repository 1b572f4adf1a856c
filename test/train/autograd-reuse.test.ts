/** One gradient tensor handed to several inputs (add's backward returns it twice) reaches each intact. */
import { describe, expect, it } from 'vitest';
import { add, scale, sum, Tensor } from '../../src/train/index.js';

describe('autograd with shared gradients', () => {
  it('a + b where a already has a gradient from another path: both gradients are right and alive', async () => {
    const a = Tensor.from([1, 2, 3, 4], [4], { requiresGrad: true });
    const b = Tensor.from([5, 6, 7, 8], [4], { requiresGrad: true });
    const y = await sum(await add(await scale(a, 2.5), await add(a, b)));
    await y.backward();
    expect([...a.grad!.toFloat32Array()]).toEqual([3.5, 3.5, 3.5, 3.5]);
    expect([...b.grad!.toFloat32Array()]).toEqual([1, 1, 1, 1]);
  });

  it('x + x: the gradient is 2, and a second backward accumulates into the leaf', async () => {
    const x = Tensor.from([1, -1], [2], { requiresGrad: true });
    await (await sum(await add(x, x))).backward();
    expect([...x.grad!.toFloat32Array()]).toEqual([2, 2]);
    await (await sum(await add(x, x))).backward();
    expect([...x.grad!.toFloat32Array()]).toEqual([4, 4]);
  });
});
