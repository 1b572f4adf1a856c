/**
 * The main job: an MLP trained on MNIST as a 4-stage 1F1B pipeline of stage actors, on the
 * embedded local cluster (no Redis, no GPU). Run it with `npm run demo`.
 *
 * The model is split into four stages balanced by parameter count; each stage is an actor in its
 * own process, placed through a placement group; activations and gradients flow between them over
 * TCP as the schedule says. At the end: test accuracy on 2,000 held-out digits, and the bubble
 * fraction measured from the stages' busy time beside the one theory gives.
 */
import cliProgress from 'cli-progress';
import { connect } from 'troupe';
import { mlp, trainPipeline } from 'troupe/train';

const epochs = Number(process.env.DEMO_EPOCHS ?? 8);
const cluster = await connect({ numCpus: 4 }); // embedded: a head and one worker in this process
const bar = new cliProgress.SingleBar(
  {
    format: 'training |{bar}| step {value}/{total}  epoch {epoch}  loss {loss}',
    hideCursor: true,
    clearOnComplete: false,
  },
  cliProgress.Presets.shades_classic,
);
try {
  console.log(
    `MNIST (8,000 train / 2,000 test), MLP 784-512-512-256-10, 4 stages, 1F1B, 8 microbatches, ${epochs} epochs, AdamW`,
  );
  let started = false;
  const result = await trainPipeline(cluster, {
    model: mlp([784, 512, 512, 256, 10], { seed: 1 }),
    stages: 4,
    schedule: '1f1b',
    microbatches: 8,
    dataParallel: 1,
    data: 'mnist',
    epochs,
    batchSize: 128,
    optimizer: { type: 'adamw', lr: 1e-3 },
    seed: 1,
    onStep: ({ step, epoch, totalSteps, loss }) => {
      if (!started) {
        bar.start(totalSteps, 0, { epoch: 1, loss: '-' });
        started = true;
      }
      bar.update(step + 1, { epoch: epoch + 1, loss: loss.toFixed(4) });
    },
  });
  bar.stop();
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  console.log(`test accuracy: ${pct(result.testAccuracy ?? 0)} on 2,000 held-out digits`);
  console.log(
    `bubble: measured ${pct(result.bubble)} (from the stages' busy time), theory ${pct(result.theoreticalBubble)} = (p − 1)/(m + p − 1)`,
  );
  console.log(
    `per-stage busy time: ${result.stageBusyMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ')}; ${result.samplesPerSecond.toFixed(0)} samples/s`,
  );
} finally {
  bar.stop();
  await cluster.shutdown();
}
