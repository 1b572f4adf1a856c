/**
 * The raw BLAS baseline: compiles bench/raw/sgemm.c against the OpenBLAS the native core was
 * built with (found by native/detect-blas.mjs) and times cblas_sgemm calls in a separate process.
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One GEMM: op(A) is m x k, op(B) is k x n. */
export interface Gemm {
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
}

export const gemmFlops = (g: Gemm): number => 2 * g.m * g.n * g.k;

/** The repository root, from bench/raw (source) or dist/bench/raw (built). */
function repoRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '../../..') : path.resolve(here, '../..');
}

export interface RawSgemm {
  /** Best seconds per call of each GEMM, in order. */
  time(gemms: Gemm[], threads: number, reps: number): Promise<number[]>;
}

/** Compiles the harness; rejects with the reason when there is no OpenBLAS or no C compiler. */
export async function buildRawSgemm(): Promise<RawSgemm> {
  const root = repoRoot();
  const { detectBlas } = (await import(path.join(root, 'native', 'detect-blas.mjs'))) as {
    detectBlas(): { cflags: string; libs: string } | null;
  };
  const blas = detectBlas();
  if (!blas) throw new Error('no OpenBLAS found (cblas.h and libopenblas); install libopenblas-dev');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'troupe-sgemm-'));
  const exe = path.join(dir, 'sgemm');
  const args = [
    '-O2',
    ...blas.cflags.split(/\s+/),
    '-o',
    exe,
    path.join(root, 'bench', 'raw', 'sgemm.c'),
    ...blas.libs.split(/\s+/),
  ];
  await run('cc', args.filter(Boolean));
  return {
    async time(gemms, threads, reps) {
      const specs = gemms.map((g) => `${g.m},${g.n},${g.k},${g.ta ? 1 : 0},${g.tb ? 1 : 0}`);
      const { stdout } = await run(exe, [String(threads), String(reps), ...specs], { maxBuffer: 1 << 20 });
      return stdout.trim().split('\n').map(Number);
    },
  };
}
