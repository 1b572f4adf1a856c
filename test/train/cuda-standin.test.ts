/**
 * Runs test/train/cuda.test.ts against a stand-in CUDA library (test/train/fake-cuda: the C ABI on
 * the CPU, one "GPU", one-rank "NCCL"), so the binding's CUDA paths — argument order, transposes,
 * streams, errors, the NCCL backend's plumbing — are exercised on machines without a GPU. It checks
 * plumbing, not numerics: the stand-in repeats the CPU formulas line for line, so cuda.test.ts's
 * "cuda equals cpu" holds here by construction. Numerics on the GPU are checked against the PyTorch
 * fixtures (layer-reference.test.ts and optim-reference.test.ts with TROUPE_GPU_TESTS=1, which
 * native/gpu-check.sh runs on a GPU machine); here their CUDA cases run too, but only so that their
 * code keeps working.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithout } from '../fixtures/requirements.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TITLE = 'the CUDA paths of the binding, on a stand-in library';
const noCxx = skipWithout({
  what: TITLE,
  pkg: 'g++',
  missing: spawnSync('sh', ['-c', 'command -v g++'], { stdio: 'ignore' }).status === 0 ? null : 'g++ is not installed',
});

describe.skipIf(noCxx)(noCxx ? `${TITLE} (skipped: ${noCxx})` : TITLE, () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-fake-cuda-'));
  const lib = path.join(dir, 'libfake_cuda.so');
  beforeAll(() => {
    const cc = spawnSync(
      'g++',
      ['-shared', '-fPIC', '-O1', '-std=c++17', '-o', lib, path.join(root, 'test/train/fake-cuda/fake_cuda.cpp')],
      { encoding: 'utf8' },
    );
    expect(cc.status, cc.stderr).toBe(0);
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs test files in a vitest of their own, on the stand-in with the GPU tests on; returns the output. */
  function runOnStandIn(...files: string[]): string {
    const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
    const run = spawnSync(process.execPath, [vitest, 'run', ...files], {
      cwd: root,
      encoding: 'utf8',
      env: {
        ...process.env,
        TROUPE_CUDA_LIBRARY: lib,
        TROUPE_GPU_TESTS: '1',
        TROUPE_REQUIRE_NCCL: '1',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
      timeout: 120_000,
    });
    const out = `${run.stdout}\n${run.stderr}`;
    expect(run.status, out).toBe(0);
    return out;
  }

  it('cuda.test.ts passes with every GPU test running', () => {
    const out = runOnStandIn('test/train/cuda.test.ts');
    expect(out).not.toMatch(/GPU tests skipped|NCCL tests skipped/);
    // Only the three no-GPU tests are skipped.
    expect(out).toMatch(/Tests\s+13 passed \| 3 skipped/);
  }, 150_000);

  // The fixtures' CUDA cases, which only a GPU machine runs for real: here their own code (devices,
  // copies to and from cuda:0) is kept working. Their numbers prove nothing on the stand-in.
  it('the PyTorch fixture tests run their CUDA cases', () => {
    const out = runOnStandIn('test/train/layer-reference.test.ts', 'test/train/optim-reference.test.ts');
    expect(out).not.toMatch(/CUDA cases skipped/);
    expect(out).toMatch(/on cuda:0/);
    expect(out).not.toMatch(/\d+ skipped/);
  }, 150_000);
});
