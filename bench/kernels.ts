/**
 * `npm run bench -- kernels [--threads N] [--reps N] [--steps N]`
 *
 * The native core's arithmetic against the raw baseline measured in the same run: cblas_sgemm
 * called from a tiny C program (bench/raw/sgemm.c, compiled now against the same OpenBLAS), with
 * the same thread count. Figures, each the best of `--reps` calls (GFLOP/s = 10^9 flop/s, a GEMM
 * of m×n×k counted as 2mnk):
 *   - Troupe matmul 1024×1024×1024 (BLAS backend), target ≥ 0.85× raw
 *   - Troupe Linear forward+backward (y = xWᵀ+b, then dW, db, dx) at 1024×1024×1024 and at MLP
 *     shapes (batch 256, 784→1024→1024→10), against raw sgemm running the same GEMMs
 *   - the own fallback kernel at 1024³, and a naive JavaScript triple loop at 512³, for contrast
 *   - MLP training steps/s (forward, cross-entropy, backward, SGD momentum) against the bound set
 *     by the raw GEMM time of one step
 */
import { nativeAddon, type NativeTensor } from '../native/index.js';
import { mlp, nativeInfo, Random, SGD, setThreads, softmaxCrossEntropy, Tensor } from '../src/train/index.js';
import { buildRawSgemm, gemmFlops, type Gemm } from './raw/sgemm.js';
import { Report } from './lib/report.js';
import { int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';
import { comparePeer } from './lib/peers.js';

const usage = 'usage: kernels [--threads N (all cores)] [--reps N (10)] [--steps N (30)]';
const TARGET = { target: { on: 'ratio', op: '>=', threshold: 0.85 } } as const;
const MLP_SIZES = [784, 1024, 1024, 10];
const BATCH = 256;
const MATMUL_ROW = 'Troupe matmul 1024x1024x1024 (BLAS backend)';
const MLP_STEPS_ROW = `Troupe MLP training steps, ${MLP_SIZES.join('→')}, batch ${BATCH}, SGD momentum`;

interface Options {
  threads: number;
  reps: number;
  steps: number;
}

function parseArgs(args: string[]): Options {
  return parseFlags(args, { threads: int(1, nativeInfo().threads), reps: int(1, 10), steps: int(1, 30) }, usage);
}

/** The three GEMMs of a Linear layer's forward and backward: y = xWᵀ, dW = dyᵀx, dx = dy W. */
function linearGemms(batch: number, inF: number, outF: number): Gemm[] {
  return [
    { m: batch, n: outF, k: inF, ta: false, tb: true },
    { m: outF, n: inF, k: batch, ta: true, tb: false },
    { m: batch, n: inF, k: outF, ta: false, tb: false },
  ];
}

const mlpGemms = (withFirstDx: boolean): Gemm[] =>
  MLP_SIZES.slice(0, -1).flatMap((inF, i) =>
    linearGemms(BATCH, inF, MLP_SIZES[i + 1]!).slice(0, i === 0 && !withFirstDx ? 2 : 3),
  );

const flopsOf = (gemms: Gemm[]) => gemms.reduce((s, g) => s + gemmFlops(g), 0);
const gflops = (flops: number, seconds: number) => flops / seconds / 1e9;

/** Best seconds of `reps` runs of `fn` after one warm-up run. */
async function best(reps: number, fn: () => Promise<void>): Promise<number> {
  await fn();
  let min = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, (performance.now() - t0) / 1000);
  }
  return min;
}

function random(shape: number[], seed: number): Tensor {
  return Tensor.from(
    new Random(seed).uniform(
      shape.reduce((a, b) => a * b, 1),
      -1,
      1,
    ),
    shape,
  );
}

const n = () => nativeAddon();
const free = (...hs: Array<NativeTensor | null>) => hs.forEach((h) => h && n().free(h));

async function timeMatmul(size: number, backend: 'blas' | 'fallback', reps: number): Promise<number> {
  const a = random([size, size], 1);
  const b = random([size, size], 2);
  return best(reps, async () => free(await n().matmul(a.handle, b.handle, false, false, backend)));
}

/** Seconds of one forward+backward of each Linear layer, summed over `sizes`. */
async function timeLinears(batch: number, sizes: number[], reps: number): Promise<number> {
  let total = 0;
  for (let i = 0; i + 1 < sizes.length; i++) {
    const x = random([batch, sizes[i]!], 3);
    const w = random([sizes[i + 1]!, sizes[i]!], 4);
    const bias = random([sizes[i + 1]!], 5);
    const dy = random([batch, sizes[i + 1]!], 6);
    total += await best(reps, async () => {
      const y = await n().linear(x.handle, w.handle, bias.handle);
      const g = await n().linearBackward(x.handle, w.handle, dy.handle, true, true);
      free(y, g.dx, g.dweight, g.dbias);
    });
  }
  return total;
}

function naiveMatmul(a: Float32Array, b: Float32Array, size: number): Float32Array {
  const c = new Float32Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      let s = 0;
      for (let k = 0; k < size; k++) s += a[i * size + k]! * b[k * size + j]!;
      c[i * size + j] = s;
    }
  }
  return c;
}

async function mlpStepsPerSecond(steps: number): Promise<number> {
  const model = mlp(MLP_SIZES, { seed: 1 });
  const opt = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = random([BATCH, MLP_SIZES[0]!], 7);
  const labels = Int32Array.from({ length: BATCH }, (_, i) => i % MLP_SIZES.at(-1)!);
  const step = async () => {
    const h1 = await model.forward(x);
    const loss = await softmaxCrossEntropy(h1, labels);
    opt.zeroGrad();
    await loss.backward();
    await opt.step();
    loss.free();
    h1.free();
  };
  for (let i = 0; i < 3; i++) await step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step();
  const rate = steps / ((performance.now() - t0) / 1000);
  model.free();
  return rate;
}

export async function run(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  setThreads(opts.threads);
  const info = nativeInfo();
  process.stderr.write(
    `[bench] native core: blas=${info.blas ?? 'none'}, threads=${info.threads}, fallback kernel ${info.fallbackIsa}\n`,
  );
  const report = new Report('kernels');
  const raw = 'raw cblas_sgemm';
  const big: Gemm = { m: 1024, n: 1024, k: 1024, ta: false, tb: false };
  const linear1024 = linearGemms(1024, 1024, 1024);
  const mlpLinear = mlpGemms(true);
  const mlpStep = mlpGemms(false);

  const [rawBig, rawLinear, rawMlp, rawStep] = await section(
    report,
    [
      { name: `${raw} 1024x1024x1024, ${opts.threads} threads`, unit: 'GFLOP/s' },
      { name: `${raw}, Linear 1024x1024 fwd+bwd GEMMs (batch 1024)`, unit: 'GFLOP/s' },
      { name: `${raw}, MLP ${MLP_SIZES.join('→')} fwd+bwd GEMMs (batch ${BATCH})`, unit: 'GFLOP/s' },
      { name: `${raw}, GEMM-only bound of one MLP training step`, unit: 'steps/s' },
    ],
    300_000,
    async () => {
      const sgemm = await buildRawSgemm();
      const [tBig, ...rest] = await sgemm.time([big, ...linear1024, ...mlpLinear, ...mlpStep], opts.threads, opts.reps);
      const sum = (from: number, count: number) => rest.slice(from, from + count).reduce((a, b) => a + b, 0);
      const tLinear = sum(0, 3);
      const tMlp = sum(3, mlpLinear.length);
      const tStep = sum(3 + mlpLinear.length, mlpStep.length);
      return [
        { value: gflops(gemmFlops(big), tBig!) },
        { value: gflops(flopsOf(linear1024), tLinear) },
        { value: gflops(flopsOf(mlpLinear), tMlp) },
        { value: 1 / tStep },
      ];
    },
  );

  if (info.blas) {
    await section(
      report,
      [
        {
          name: MATMUL_ROW,
          unit: 'GFLOP/s',
          opts: { baselineName: raw, ...TARGET },
        },
      ],
      300_000,
      async () => [{ value: gflops(gemmFlops(big), await timeMatmul(1024, 'blas', opts.reps)), baseline: rawBig }],
    );
  }
  await section(
    report,
    [
      { name: 'Troupe Linear fwd+bwd 1024x1024 (batch 1024)', unit: 'GFLOP/s', opts: { baselineName: raw, ...TARGET } },
      {
        name: `Troupe Linear fwd+bwd, MLP ${MLP_SIZES.join('→')} (batch ${BATCH})`,
        unit: 'GFLOP/s',
        opts: { baselineName: raw, ...TARGET },
      },
    ],
    300_000,
    async () => [
      { value: gflops(flopsOf(linear1024), await timeLinears(1024, [1024, 1024], opts.reps)), baseline: rawLinear },
      { value: gflops(flopsOf(mlpLinear), await timeLinears(BATCH, MLP_SIZES, opts.reps)), baseline: rawMlp },
    ],
  );
  await section(
    report,
    [{ name: 'Troupe fallback kernel (own, no BLAS) 1024x1024x1024', unit: 'GFLOP/s', opts: { baselineName: raw } }],
    300_000,
    async () => [{ value: gflops(gemmFlops(big), await timeMatmul(1024, 'fallback', opts.reps)), baseline: rawBig }],
  );
  await section(
    report,
    // Information only: a smaller size than the raw GEMM it would be set against, so no ratio.
    [{ name: 'naive JavaScript triple loop 512x512x512', unit: 'GFLOP/s' }],
    300_000,
    async () => {
      const a = new Random(1).uniform(512 * 512, -1, 1);
      const b = new Random(2).uniform(512 * 512, -1, 1);
      const t0 = performance.now();
      naiveMatmul(a, b, 512);
      return [{ value: gflops(2 * 512 ** 3, (performance.now() - t0) / 1000) }];
    },
  );
  await section(
    report,
    [
      {
        name: MLP_STEPS_ROW,
        unit: 'steps/s',
        opts: { baselineName: 'raw GEMM bound' },
      },
    ],
    300_000,
    async () => [{ value: await mlpStepsPerSecond(opts.steps), baseline: rawStep }],
  );

  await comparePeer(report, {
    peer: 'torch',
    script: 'torch_kernels.py',
    params: { threads: opts.threads, reps: opts.reps, steps: opts.steps, sizes: MLP_SIZES, batch: BATCH },
    timeoutMs: 600_000,
    rows: [
      {
        what: `matmul 1024x1024x1024, ${opts.threads} threads`,
        unit: 'GFLOP/s',
        troupeRow: MATMUL_ROW,
        peer: (o) => o.matmul_gflops,
      },
      {
        what: `MLP training steps, ${MLP_SIZES.join('→')}, batch ${BATCH}, SGD momentum`,
        unit: 'steps/s',
        troupeRow: MLP_STEPS_ROW,
        peer: (o) => o.mlp_steps,
      },
    ],
  });
  report.print();
  return report.failed ? 1 : 0;
}
