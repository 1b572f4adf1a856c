/**
 * `npm run bench -- pipeline [--steps N]`
 *
 * Pipeline training on the embedded local cluster (MNIST, MLP 784-512-512-256-10, batch 128, AdamW):
 * for GPipe and 1F1B at p = 2, 4 and m = 4, 8, 16, the bubble fraction measured from the stages'
 * busy time next to the theoretical (p − 1)/(m + p − 1); peak bytes of stashed activations per
 * stage, GPipe vs 1F1B; and samples/s against single-process training of the same model measured
 * in the same run (on a 2-core machine the stages share two cores: no speed-up is expected).
 */
import { connect, type Cluster } from '../src/index.js';
import { loadMnist, mlp, trainPipeline, trainSingleProcess, type PipelineResult } from '../src/train/index.js';
import { Report } from './lib/report.js';
import { int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';

const usage = 'usage: pipeline [--steps N (8)]';
const SIZES = [784, 512, 512, 256, 10];

export async function run(args: string[]): Promise<number> {
  const { steps } = parseFlags(args, { steps: int(2, 8) }, usage);
  const report = new Report('pipeline');
  const data = loadMnist({ seed: 1 });
  const optimizer = { type: 'adamw' as const, lr: 1e-3 };
  let cluster: Cluster | undefined;
  try {
    cluster = await connect({ numCpus: 8, warmPoolSize: 4 });
    const c = cluster;
    const [single] = await section(
      report,
      [{ name: `single-process training, batch 128, ${steps} steps`, unit: 'samples/s' }],
      300_000,
      async () => {
        const r = await trainSingleProcess(mlp(SIZES, { seed: 1 }), data.train, {
          microbatches: 1,
          batchSize: 128,
          steps,
          optimizer,
        });
        return [{ value: r.samplesPerSecond }];
      },
    );
    const results = new Map<string, PipelineResult>();
    for (const schedule of ['gpipe', '1f1b'] as const) {
      for (const p of [2, 4]) {
        for (const m of [4, 8, 16]) {
          const key = `${schedule} p=${p} m=${m}`;
          await section(
            report,
            [
              {
                name: `${key}: bubble measured from stage busy time (theory as baseline)`,
                unit: '%',
                opts: { baselineName: 'theory (p-1)/(m+p-1)' },
              },
              { name: `${key}: samples/s`, unit: 'samples/s', opts: { baselineName: 'single process' } },
            ],
            300_000,
            async () => {
              const r = await trainPipeline(c, {
                model: mlp(SIZES, { seed: 1 }),
                stages: p,
                schedule,
                microbatches: m,
                data: { train: data.train },
                steps,
                batchSize: 128,
                optimizer,
              });
              results.set(key, r);
              return [
                { value: r.bubble * 100, baseline: r.theoreticalBubble * 100 },
                { value: r.samplesPerSecond, baseline: single },
              ];
            },
          );
        }
      }
    }
    for (const p of [2, 4]) {
      for (const m of [8, 16]) {
        const g = results.get(`gpipe p=${p} m=${m}`);
        const f = results.get(`1f1b p=${p} m=${m}`);
        if (!g || !f) continue;
        f.peakStashBytes.forEach((bytes, s) => {
          report.add(`1f1b p=${p} m=${m}: peak stashed activations on stage ${s}`, bytes / 1024, 'KiB', {
            baselineName: 'GPipe, same stage',
            baseline: g.peakStashBytes[s]! / 1024,
          });
        });
      }
    }
  } finally {
    await cluster?.shutdown();
  }
  report.print();
  return report.failed ? 1 : 0;
}
