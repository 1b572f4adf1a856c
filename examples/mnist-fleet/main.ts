/**
 * A training fleet on MNIST, on the embedded local cluster (no Redis, no GPU): 2 data loaders feed
 * 4 trainer actors, which push gradients to 2 parameter-shard actors under BSP; an
 * evaluator scores weight snapshots on the 2,000 held-out digits while training goes on. Run it with
 * `npm run demo:fleet` (DEMO_EPOCHS, DEMO_MODE = bsp | ssp | async | allreduce to change the run).
 */
import cliProgress from 'cli-progress';
import { connect } from 'troupe';
import { mlp, trainFleet, type UpdateOption } from 'troupe/train';

const epochs = Number(process.env.DEMO_EPOCHS ?? 3);
const mode = process.env.DEMO_MODE ?? 'bsp';
const update: UpdateOption = mode === 'ssp' ? { mode: 'ssp', staleness: 2 } : ({ mode } as UpdateOption);
const cluster = await connect({ numCpus: 4 });
const bar = new cliProgress.SingleBar(
  {
    format:
      'training |{bar}| {value}/{total} samples  {rate} samples/s  loss {loss}  staleness {staleness}  eval acc {acc}',
    hideCursor: true,
    clearOnComplete: false,
  },
  cliProgress.Presets.shades_classic,
);
try {
  console.log(
    `MNIST (8,000 train / 2,000 test), MLP 784-512-512-256-10, 2 loaders, 4 trainers, ${mode === 'allreduce' ? 'no shards (ring allreduce)' : '2 shards'}, ${mode}, ${epochs} epochs, SGD momentum 0.9`,
  );
  bar.start(8000 * epochs, 0, { rate: '-', loss: '-', staleness: '-', acc: '-' });
  const result = await trainFleet(cluster, {
    model: mlp([784, 512, 512, 256, 10], { seed: 1 }),
    data: 'mnist',
    loaders: 2,
    trainers: 4,
    ...(mode === 'allreduce' ? {} : { shards: 2 }),
    update,
    optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
    batchSize: 128,
    epochs,
    seed: 1,
    evaluate: { every: 50 },
    onProgress: (p) =>
      bar.update(p.samples, {
        rate: p.samplesPerSecond.toFixed(0),
        loss: Number.isNaN(p.loss) ? '-' : p.loss.toFixed(3),
        staleness: p.staleness.toFixed(2),
        acc: p.evalAccuracy === null ? '-' : `${(p.evalAccuracy * 100).toFixed(1)}%`,
      }),
  });
  bar.update(result.samples);
  bar.stop();
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  console.log(`test accuracy: ${pct(result.testAccuracy ?? 0)} on 2,000 held-out digits`);
  console.log(
    `${result.samplesPerSecond.toFixed(0)} samples/s over ${result.seconds.toFixed(1)} s; ${result.updates} updates; trainer clocks ${result.clocks.join(', ')}`,
  );
  const hist = result.staleness.map((n, k) => `${k}:${n}`).join(' ');
  if (hist) console.log(`staleness histogram (versions between read and apply: updates): ${hist}`);
  if (result.evaluations.length)
    console.log(
      `evaluator: ${result.evaluations.map((e) => `${e.samples}→${pct(e.accuracy)}`).join(', ')} (${result.skippedEvaluations} snapshots skipped)`,
    );
} finally {
  bar.stop();
  await cluster.shutdown();
}
