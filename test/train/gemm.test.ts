/** The two CPU GEMM backends (OpenBLAS and the own blocked kernel) against a reference and each other. */
import { afterAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../fixtures/requirements.js';
import { nativeAddon } from '../../native/index.js';
import { nativeInfo, setBackend, setThreads, type Tensor } from '../../src/train/index.js';
import { expectClose, randomTensor, referenceGemm } from './helpers.js';

const n = nativeAddon();
const noBlas = skipWithout({
  what: 'the OpenBLAS GEMM comparisons',
  pkg: 'libopenblas-dev',
  missing: nativeInfo().blas === null ? 'this build found no OpenBLAS (install libopenblas-dev and rebuild)' : null,
});
const initialThreads = nativeInfo().threads;

afterAll(() => {
  setThreads(initialThreads);
  if (!noBlas) setBackend('blas');
});

async function gemm(
  a: Tensor,
  b: Tensor,
  ta: boolean,
  tb: boolean,
  backend: 'blas' | 'fallback',
): Promise<Float32Array> {
  const h = await n.matmul(a.handle, b.handle, ta, tb, backend);
  const out = n.read(h) as Float32Array;
  n.free(h);
  return out;
}

// Odd sizes cross the kernel's 6x16 micro-tiles and its 256/96/512 cache blocks.
const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [5, 7, 3],
  [6, 16, 256],
  [13, 33, 257],
  [97, 130, 70],
  [200, 600, 300],
  [1, 300, 520],
  [300, 1, 40],
];

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

const caseName = (m: number, nn: number, k: number, ta: boolean, tb: boolean) =>
  `${m}x${nn}x${k}${ta ? ' Aᵀ' : ''}${tb ? ' Bᵀ' : ''}`;

async function operands(m: number, nn: number, k: number, ta: boolean, tb: boolean) {
  const a = randomTensor(ta ? [k, m] : [m, k], m * 7 + k);
  const b = randomTensor(tb ? [nn, k] : [k, nn], nn * 11 + k);
  return { a, b, want: referenceGemm(a.toFloat32Array(), b.toFloat32Array(), m, nn, k, ta, tb) };
}

/** Same inputs twice give the same bits for a thread count; 1 and 2 threads agree closely. */
async function checkDeterminism(backend: 'blas' | 'fallback'): Promise<void> {
  const a = randomTensor([257, 300], 4);
  const b = randomTensor([300, 190], 5);
  const byThreads: Float32Array[] = [];
  for (const threads of [1, 2]) {
    setThreads(threads);
    const first = await gemm(a, b, false, false, backend);
    const second = await gemm(a, b, false, false, backend);
    expect(Buffer.from(second.buffer).equals(Buffer.from(first.buffer))).toBe(true);
    byThreads.push(first);
  }
  expectClose(byThreads[1]!, byThreads[0]!, 1e-5, 1e-5);
  setThreads(initialThreads);
}

const linearInputs = () => ({
  x: randomTensor([64, 100], 1),
  w: randomTensor([30, 100], 2),
  bias: randomTensor([30], 3),
});

describe('the own GEMM kernel', () => {
  for (const [m, nn, k] of SHAPES) {
    for (const [ta, tb] of TRANSPOSES) {
      it(`${caseName(m, nn, k, ta, tb)}: matches the reference`, async () => {
        const { a, b, want } = await operands(m, nn, k, ta, tb);
        expectClose(await gemm(a, b, ta, tb, 'fallback'), want, 1e-4, 1e-4 * Math.sqrt(k), 'fallback');
      });
    }
  }

  it('is deterministic for a given thread count, and close across counts', () => checkDeterminism('fallback'));

  it.skipIf(!noBlas)('without OpenBLAS, asking for it is refused by name', () => {
    expect(() => setBackend('blas')).toThrow(/not available/);
  });
});

describe.skipIf(noBlas)(noBlas ? `OpenBLAS GEMM (skipped: ${noBlas})` : 'OpenBLAS GEMM', () => {
  for (const [m, nn, k] of SHAPES) {
    for (const [ta, tb] of TRANSPOSES) {
      it(`${caseName(m, nn, k, ta, tb)}: BLAS matches the reference and the own kernel`, async () => {
        const { a, b, want } = await operands(m, nn, k, ta, tb);
        const blas = await gemm(a, b, ta, tb, 'blas');
        expectClose(blas, want, 1e-4, 1e-4 * Math.sqrt(k), 'blas');
        expectClose(await gemm(a, b, ta, tb, 'fallback'), blas, 1e-4, 1e-4 * Math.sqrt(k), 'fallback vs blas');
      });
    }
  }

  it('setBackend switches every GEMM user (Linear included) and the results agree', async () => {
    const { x, w, bias } = linearInputs();
    const run = async () => n.read(await n.linear(x.handle, w.handle, bias.handle)) as Float32Array;
    setBackend('fallback');
    expect(nativeInfo().backend).toBe('fallback');
    const viaFallback = await run();
    setBackend('blas');
    expect(nativeInfo().backend).toBe('blas');
    expectClose(await run(), viaFallback, 1e-5, 1e-5);
  });

  it('is deterministic for a given thread count, and close across counts', () => checkDeterminism('blas'));
});
