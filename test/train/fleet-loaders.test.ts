/**
 * A DataCoordinator and 1, 2 or 3 DataLoaders as real actors, consumed through `next` and
 * `cluster.get`: every sample exactly once per epoch over 2 epochs, the same batch contents per
 * (epoch, index) whatever the number of loaders; forged keys and unknown trainers are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActorHandle, Cluster } from '../../src/index.js';
import { fromGenerator } from '../../src/train/data/dataset.js';
import type { DataCoordinator } from '../../src/train/fleet/coordinator-actor.js';
import type { DataLoader } from '../../src/train/fleet/loader-actor.js';
import type { BatchHandout, BatchKey } from '../../src/train/fleet/protocol.js';
import { rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const COORD = new URL('../../src/train/fleet/coordinator-actor.ts', import.meta.url);
const LOADER = new URL('../../src/train/fleet/loader-actor.ts', import.meta.url);
let embedded: EmbeddedCluster;
let cluster: Cluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 8, warmPoolSize: 2 });
  cluster = embedded.driver;
}, 60_000);
afterAll(async () => {
  await embedded?.stop();
});

const length = 57;
const data = fromGenerator(length, (i) => ({ x: [i, i * 2], y: i % 3 }));
const base = { length, batchSize: 8, shardBatches: 2, epochs: 2, seed: 5, trainers: 3, timeoutMs: 30_000 };

async function fleet(loaders: number) {
  const coordinator = await cluster
    .actorClass<typeof DataCoordinator>(COORD, 'DataCoordinator')
    .spawn([{ ...base, loaders }], { numCpus: 0, maxConcurrency: 64 });
  const ls: Array<ActorHandle<typeof DataLoader>> = [];
  for (let l = 0; l < loaders; l++)
    ls.push(
      await cluster
        .actorClass<typeof DataLoader>(LOADER, 'DataLoader')
        .spawn([{ index: l, coordinator, data, batchSize: 8, prefetch: 2, timeoutMs: 30_000 }], {
          numCpus: 0,
          maxConcurrency: 64,
        }),
    );
  return { coordinator, loaders: ls };
}

/** Trainer t consumes loader t % L until 'end'; returns contents by "epoch/index". */
async function consume(f: Awaited<ReturnType<typeof fleet>>): Promise<Map<string, number[]>> {
  const contents = new Map<string, number[]>();
  await Promise.all(
    [0, 1, 2].map(async (t) => {
      let done: BatchKey[] = [];
      for (;;) {
        const r = await f.loaders[t % f.loaders.length]!.call.next({ trainer: t, done, returned: [] });
        done = [];
        if (r.kind === 'end') return;
        if (r.kind === 'wait') {
          await new Promise((res) => setTimeout(res, 5));
          continue;
        }
        const b = r as BatchHandout;
        const batch = (await cluster.get(b.data as never)) as { x: Float32Array; y: Int32Array };
        expect([...batch.y]).toEqual([...b.ids].map((i) => i % 3));
        expect(batch.x[0]).toBe(b.ids[0]);
        contents.set(`${b.key.epoch}/${b.key.index}`, [...b.ids]);
        done = [b.key];
      }
    }),
  );
  return contents;
}

describe('fleet data: coordinator and loaders', () => {
  it('1, 2 and 3 loaders give every sample exactly once per epoch, and the same batches', async () => {
    const runs: Array<Map<string, number[]>> = [];
    for (const l of [1, 2, 3]) {
      const f = await fleet(l);
      runs.push(await consume(f));
      const s = await f.coordinator.call.stats();
      expect(s.duplicates).toBe(0);
      for (const ids of s.doneIds) expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length }, (_, i) => i));
      const ls = await f.loaders[0]!.call.stats();
      expect(ls.queueHighWater).toBeLessThanOrEqual(2);
    }
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
  }, 120_000);

  it('a forged key or an unknown trainer is refused naming it', async () => {
    const f = await fleet(1);
    const r = await f.loaders[0]!.call.next({ trainer: 0, done: [], returned: [] });
    expect(r.kind).toBe('batch');
    const forged = await rejection(
      f.loaders[0]!.call.next({ trainer: 0, done: [{ epoch: 0, index: 40 }], returned: [] }),
    );
    expect(forged.message).toContain('{"epoch":0,"index":40} is not a batch key');
    const other = await rejection(f.coordinator.call.done(1, [(r as BatchHandout).key]));
    expect(other.message).toMatch(/is not held by trainer 1 \(it is at trainer 0\)/);
    const unknown = await rejection(f.loaders[0]!.call.next({ trainer: 9, done: [], returned: [] }));
    expect(unknown.message).toContain('trainer 9 is unknown (trainers are 0..2)');
  }, 60_000);
  it('a loader SIGKILLed mid-epoch (then loaderGone) and a trainer that vanishes (then trainerGone) still give exactly once', async () => {
    const f = await fleet(2);
    const dead = new Set<number>();
    const killAt = 3;
    let taken = 0;
    const seen: number[][] = [[], []];
    await Promise.all(
      [0, 1, 2].map(async (t) => {
        let done: BatchKey[] = [];
        let returned: BatchKey[] = [];
        let l = t % 2;
        let mine = 0;
        for (;;) {
          if (dead.has(l)) l = 1 - l;
          let r: Awaited<ReturnType<(typeof f.loaders)[0]['call']['next']>>;
          try {
            r = await f.loaders[l]!.call.next({ trainer: t, done, returned });
          } catch {
            dead.add(l);
            continue; // the same reports go to the other loader
          }
          done = [];
          returned = [];
          if (r.kind === 'end') return;
          if (r.kind === 'wait') {
            await new Promise((res) => setTimeout(res, 5));
            continue;
          }
          const b = r as BatchHandout;
          if (t === 2 && ++mine === 2) {
            // Trainer 2 vanishes holding this batch; the driver says so, as trainFleet will.
            await f.coordinator.call.trainerGone(2);
            return;
          }
          if (++taken === killAt && !dead.has(0)) {
            const { pid } = await f.loaders[0]!.state();
            process.kill(pid, 'SIGKILL');
            dead.add(0);
            await f.coordinator.call.loaderGone(0);
          }
          try {
            await cluster.get(b.data as never, { timeoutMs: 10_000 });
            seen[b.key.epoch]!.push(...b.ids);
            done = [b.key];
          } catch {
            returned = [b.key]; // its loader died with the batch
          }
        }
      }),
    );
    const s = await f.coordinator.call.stats();
    expect(s.duplicates).toBe(0);
    for (const ids of s.doneIds) expect([...ids].sort((a, b) => a - b)).toEqual(Array.from({ length }, (_, i) => i));
    expect(s.requeued.trainerGone).toBeGreaterThan(0);
  }, 120_000);
});
