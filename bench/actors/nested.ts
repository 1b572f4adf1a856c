/** Actors of the `nested` benchmark: a target to call, and a caller that drives it from inside the cluster. */
import { currentCluster, type ActorHandle, type Cluster } from '../../src/index.js';
import { measureRate } from '../lib/report.js';

/** The actor called: returns its argument unchanged (as bench/actors/echo.ts). */
export class NestedTarget {
  echo(x: unknown): unknown {
    return x;
  }
}

export interface Timing {
  durationMs: number;
  warmupMs: number;
}

/** Calls an actor through a handle passed to it as an argument, the way a trainer calls a shard. */
export class NestedCaller {
  /** Calls per second to `target`, `inFlight` at once, measured in this actor's process. */
  async drive(target: ActorHandle<typeof NestedTarget>, arg: unknown, inFlight: number, t: Timing): Promise<number> {
    return (await measureRate(() => target.call.echo(arg), { ...t, inFlight })).perSecond;
  }

  /** Spawns `count` shared actors from here, `concurrency` at a time; returns spawns per second. */
  spawnMany(count: number, concurrency: number): Promise<number> {
    return spawnRate(currentCluster(), count, concurrency);
  }
}

/**
 * Spawns `count` shared actors through `cluster`, `concurrency` at a time, and returns spawns per
 * second; kills them after. The driver's baseline and the actor's figure both run this.
 */
export async function spawnRate(cluster: Cluster, count: number, concurrency: number): Promise<number> {
  const Target = cluster.actorClass<typeof NestedTarget>(new URL(import.meta.url), 'NestedTarget');
  // One first, so the shared host process is started before the clock runs.
  const made: ActorHandle<typeof NestedTarget>[] = [await Target.spawn([], { isolation: 'shared', numCpus: 0 })];
  let started = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (started < count) {
      started++;
      made.push(await Target.spawn([], { isolation: 'shared', numCpus: 0 }));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  const rate = (count * 1000) / (performance.now() - t0);
  await Promise.all(made.map((a) => a.kill()));
  return rate;
}
