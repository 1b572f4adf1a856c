/**
 * `npm run bench -- fleet [--epochs N]`
 *
 * Training fleets on the embedded local cluster (MNIST, MLP 784-512-512-256-10, 2 loaders,
 * 4 trainers, 2 shards, batch 128 per trainer, SGD lr 0.05 momentum 0.9): samples/s for BSP,
 * SSP (s = 2), async and allreduce against single-process training with the same batch measured in
 * the same run; the same four with trainer 0 slowed 3× (SSP against BSP's samples/s, target
 * ≥ 1.5×); test accuracy of each run beside BSP's. On a 2-core machine the fleet's processes share
 * two cores: no speed-up over one process is expected.
 */
import { connect, type Cluster } from '../src/index.js';
import {
  loadMnist,
  mlp,
  trainFleet,
  trainSingleProcess,
  type FleetResult,
  type UpdateOption,
} from '../src/train/index.js';
import { Report } from './lib/report.js';
import { int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';

const usage = 'usage: fleet [--epochs N (1)]';
const SIZES = [784, 512, 512, 256, 10];
const MODES: Array<[string, UpdateOption]> = [
  ['bsp', { mode: 'bsp' }],
  ['ssp(2)', { mode: 'ssp', staleness: 2 }],
  ['async', { mode: 'async' }],
  ['allreduce', { mode: 'allreduce' }],
];

export async function run(args: string[]): Promise<number> {
  const { epochs } = parseFlags(args, { epochs: int(1, 1) }, usage);
  const report = new Report('fleet');
  const data = loadMnist({ seed: 1 });
  const optimizer = { type: 'sgd' as const, lr: 0.05, momentum: 0.9 };
  let cluster: Cluster | undefined;
  try {
    cluster = await connect({ numCpus: 8, warmPoolSize: 4 });
    const c = cluster;
    const [single] = await section(
      report,
      [{ name: 'single-process training, batch 128, 20 steps', unit: 'samples/s' }],
      300_000,
      async () => {
        const r = await trainSingleProcess(mlp(SIZES, { seed: 1 }), data.train, {
          microbatches: 1,
          batchSize: 128,
          steps: 20,
          optimizer,
        });
        return [{ value: r.samplesPerSecond }];
      },
    );
    for (const straggler of [false, true]) {
      const results = new Map<string, FleetResult>();
      for (const [name, update] of MODES) {
        const key = `${name}${straggler ? ', trainer 0 slowed 3x' : ''}`;
        await section(
          report,
          [
            {
              name: `fleet ${key}: samples/s, ${epochs} epoch(s)`,
              unit: 'samples/s',
              opts: { baselineName: 'single process, same batch' },
            },
            { name: `fleet ${key}: test accuracy`, unit: '%' },
          ],
          600_000,
          async () => {
            const r = await trainFleet(c, {
              model: mlp(SIZES, { seed: 1 }),
              data: 'mnist',
              loaders: 2,
              trainers: 4,
              ...(update.mode === 'allreduce' ? {} : { shards: 2 }),
              update,
              optimizer,
              batchSize: 128,
              epochs,
              seed: 1,
              ...(straggler ? { slowdown: { 0: 3 } } : {}),
            });
            results.set(name, r);
            return [{ value: r.samplesPerSecond, baseline: single }, { value: (r.testAccuracy ?? 0) * 100 }];
          },
        );
      }
      const bsp = results.get('bsp');
      const ssp = results.get('ssp(2)');
      if (straggler && bsp && ssp)
        report.add('ssp(2) against bsp with trainer 0 slowed 3x: samples/s', ssp.samplesPerSecond, 'samples/s', {
          baselineName: 'bsp, same straggler',
          baseline: bsp.samplesPerSecond,
          target: { on: 'ratio', op: '>=', threshold: 1.5 },
        });
    }
  } finally {
    await cluster?.shutdown();
  }
  report.print();
  return report.failed ? 1 : 0;
}
