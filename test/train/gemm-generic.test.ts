/**
 * The own GEMM kernel's baseline-ISA build (what runs on CPUs without AVX2), forced with
 * TROUPE_FALLBACK_ISA=generic before this test file's process loads the addon.
 */
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../native/index.js';
import { expectClose, randomTensor, referenceGemm } from './helpers.js';

process.env.TROUPE_FALLBACK_ISA = 'generic';

describe('the fallback kernel built for the baseline ISA', () => {
  it('matches the reference across tile and block edges', async () => {
    const n = nativeAddon();
    expect(n.info().fallbackIsa).toBe('generic');
    for (const [m, nn, k] of [
      [7, 19, 5],
      [97, 130, 270],
    ] as const) {
      const a = randomTensor([k, m], m);
      const b = randomTensor([k, nn], nn);
      const h = await n.matmul(a.handle, b.handle, true, false, 'fallback');
      expectClose(
        n.read(h),
        referenceGemm(a.toFloat32Array(), b.toFloat32Array(), m, nn, k, true, false),
        1e-4,
        1e-4 * Math.sqrt(k),
      );
    }
  });
});
