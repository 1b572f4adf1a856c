/**
 * The pure ShardQueue: every sample exactly once per epoch, in the order trainPipeline draws;
 * requeued batches (trainer gone, loader gone, returned) come first and are still done once;
 * the batches' contents do not depend on how many loaders take shards; bad keys are refused.
 */
import { describe, expect, it } from 'vitest';
import { permutation } from '../../src/train/data/mnist.js';
import { ShardQueue } from '../../src/train/data/shards.js';
import type { BatchKey } from '../../src/train/fleet/protocol.js';
import { Random } from '../../src/train/random.js';

const config = { length: 103, batchSize: 10, shardBatches: 3, epochs: 2, seed: 7 };

/** Runs the queue to the end with `loaders` loaders round-robin and one trainer per loader; `chaos` may kill. */
function drain(
  q: ShardQueue,
  loaders: number,
  chaos?: (step: number, held: BatchKey[], l: number) => 'trainer' | 'loader' | 'return' | undefined,
) {
  const contents = new Map<string, number[]>();
  let step = 0;
  for (;;) {
    let progressed = false;
    let ended = 0;
    for (let l = 0; l < loaders; l++) {
      const r = q.take(l);
      if (r.kind === 'end') {
        ended++;
        continue;
      }
      if (r.kind === 'wait') continue;
      progressed = true;
      const keys = r.shard.batches.map((b) => ({ epoch: r.shard.epoch, index: b.index }));
      for (const b of r.shard.batches) contents.set(`${r.shard.epoch}/${b.index}`, [...b.ids]);
      const what = chaos?.(step++, keys, l);
      if (what === 'loader') {
        q.loaderGone(l);
        continue;
      }
      q.handed(l, l, keys);
      if (what === 'trainer') q.trainerGone(l);
      else if (what === 'return') q.returned(l, keys.slice(0, 1));
      else q.done(l, keys);
      if (what === 'return') q.done(l, keys.slice(1));
    }
    if (ended === loaders) break;
    if (!progressed) throw new Error('stuck: every loader waits and nothing is out');
  }
  return contents;
}

function exactlyOnce(q: ShardQueue): void {
  const s = q.stats();
  expect(s.duplicates).toBe(0);
  expect(s.doneIds.length).toBe(config.epochs);
  for (const ids of s.doneIds)
    expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length: config.length }, (_, i) => i));
}

describe('ShardQueue', () => {
  it('hands every sample exactly once per epoch, batches in the order trainPipeline draws', () => {
    const q = new ShardQueue(config);
    const contents = drain(q, 1);
    exactlyOnce(q);
    const rng = new Random(config.seed);
    for (let e = 0; e < config.epochs; e++) {
      const order = permutation(config.length, rng);
      for (let k = 0; k < q.batchesPerEpoch; k++)
        expect(contents.get(`${e}/${k}`)).toEqual([...order.slice(k * 10, (k + 1) * 10)]);
    }
    expect(contents.get('0/10')).toHaveLength(3); // the short last batch
  });

  it('batch contents per (epoch, index) and the order of shards do not depend on the number of loaders', () => {
    const runs = [1, 2, 3].map((l) => {
      const q = new ShardQueue(config);
      const c = drain(q, l);
      exactlyOnce(q);
      return c;
    });
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  });

  it('requeues for trainerGone, loaderGone and returned, and still gives exactly once', () => {
    const q = new ShardQueue(config);
    drain(q, 3, (step) => (step === 1 ? 'trainer' : step === 4 ? 'loader' : step === 6 ? 'return' : undefined));
    exactlyOnce(q);
    const s = q.stats();
    expect(s.requeued.trainerGone).toBe(3);
    expect(s.requeued.loaderGone).toBeGreaterThan(0);
    expect(s.requeued.returned).toBe(1);
  });

  it('requeued batches come first, before the next epoch; wait while batches are out; end at the end', () => {
    const q = new ShardQueue({ ...config, length: 20, shardBatches: 1, epochs: 2 });
    const a = q.take(0);
    const b = q.take(0);
    if (a.kind !== 'shard' || b.kind !== 'shard') throw new Error('expected shards');
    q.handed(0, 0, [{ epoch: 0, index: 0 }]);
    q.trainerGone(0);
    const again = q.take(1);
    expect(again).toMatchObject({ kind: 'shard', shard: { epoch: 0, batches: [{ index: 0 }] } });
    const next = q.take(1); // epoch 0's queue is empty: epoch 1 opens
    expect(next).toMatchObject({ kind: 'shard', shard: { epoch: 1 } });
    q.take(1);
    expect(q.take(1)).toEqual({ kind: 'wait' });
    q.handed(1, 1, [
      { epoch: 0, index: 0 },
      { epoch: 1, index: 0 },
      { epoch: 1, index: 1 },
    ]);
    q.handed(0, 0, [{ epoch: 0, index: 1 }]);
    q.done(1, [
      { epoch: 0, index: 0 },
      { epoch: 1, index: 0 },
      { epoch: 1, index: 1 },
    ]);
    expect(q.take(1)).toEqual({ kind: 'wait' });
    q.done(0, [{ epoch: 0, index: 1 }]);
    expect(q.take(1)).toEqual({ kind: 'end' });
    q.done(0, [{ epoch: 0, index: 1 }]); // a report retried through another loader changes nothing
    expect(q.stats().duplicates).toBe(0);
    expect(q.stats().doneIds[0]).toHaveLength(20);
  });

  it('refuses keys not held by that trainer or loader, and forged keys, naming them', () => {
    const q = new ShardQueue(config);
    q.take(0);
    expect(() => q.handed(1, 0, [{ epoch: 0, index: 0 }])).toThrow(
      /batch \(epoch 0, index 0\) is not held by loader 1/,
    );
    q.handed(0, 2, [{ epoch: 0, index: 0 }]);
    expect(() => q.done(3, [{ epoch: 0, index: 0 }])).toThrow(/not held by trainer 3 \(it is at trainer 2\)/);
    expect(() => q.done(2, [{ epoch: 5, index: 0 }])).toThrow(/done: \{"epoch":5,"index":0\} is not a batch key/);
    expect(() => q.returned(2, [{ epoch: 0, index: 1 }])).toThrow(
      /returned: batch \(epoch 0, index 1\) is not held by trainer 2 \(it is at loader 0\)/,
    );
  });
});
