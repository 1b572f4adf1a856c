/** Heavy operations run off the event loop: timers keep firing while a large GEMM runs. */
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../../native/index.js';
import { randomTensor } from './helpers.js';

describe('the event loop during native work', () => {
  it('a setInterval keeps firing while a large GEMM is in flight', async () => {
    const n = nativeAddon();
    const a = randomTensor([1536, 1536], 1);
    const b = randomTensor([1536, 1536], 2);
    let pending = true;
    let ticksWhilePending = 0;
    const timer = setInterval(() => {
      if (pending) ticksWhilePending++;
    }, 1);
    try {
      // Several GEMMs back to back on the own kernel, so the work surely spans many timer periods.
      for (let i = 0; i < 3; i++) n.free(await n.matmul(a.handle, b.handle, false, false, 'fallback'));
    } finally {
      pending = false;
      clearInterval(timer);
    }
    expect(ticksWhilePending).toBeGreaterThan(0);
  });
});
