/**
 * `trainFleet`: data-parallel training as a fleet of actors in one placement group — a data
 * coordinator and data loaders feeding trainers, parameter shards applying their gradients under
 * BSP, SSP or async (or no shards: trainers that allreduce), and evaluators scoring snapshots —
 * and the driver that supervises them: a trainer that dies is restarted and rejoins (its batches
 * go back in the queue), a loader that dies hands its shards back, a shard that dies ends the run
 * naming it. Progress is polled from the shards while the trainers run.
 * It is over 400 lines because spawning the roles and supervising them share the plan, the handles
 * and the run's failure path; the options and their checks live in fleet-options.ts.
 */
import { TroupeError, UnavailableError } from '../../common/index.js';
import type { ActorClassType, ActorHandle, Cluster, PlacementGroup } from '../../client/index.js';
type AnyHandle = ActorHandle<ActorClassType>;
import type { ObjectRef } from '../../objects/index.js';
import { accuracy } from '../pipeline/single-process.js';
import { gather, scatter } from './layout.js';
import { planFleet, type FleetOptions, type FleetPlan, type FleetProgress } from './fleet-options.js';
import type { Evaluation, EvaluatorConfig } from './evaluator-actor.js';
import type { CoordinatorStats, ShardConfig, ShardStats } from './protocol.js';
import type { TrainerConfig, TrainerReport } from './trainer-actor.js';

export interface FleetResult {
  mode: FleetPlan['mode'];
  /** Updates applied (BSP and allreduce: steps; SSP and async: pushes). */
  updates: number;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  /** Per update: [version after it, samples so far, loss]. */
  losses: Array<[number, number, number]>;
  evaluations: Evaluation[];
  /** Snapshots an evaluator had no time for. */
  skippedEvaluations: number;
  /** The final weights on the test split (null without one). */
  testAccuracy: number | null;
  /** Per trainer: its final clock. */
  clocks: number[];
  /** staleness[k] = updates applied k versions after their read. */
  staleness: number[];
  /** SSP: every read as [trainer, its clock, slowest clock then]. */
  reads: Array<[number, number, number]>;
  /** Per trainer: ms its pushes waited for the shards. */
  waitMs: number[];
  trainers: Array<TrainerReport & { restarts: number }>;
  /** What the coordinator saw: sample ids done per epoch, requeues, shards per loader. */
  data: CoordinatorStats;
  /** Loaders that died during the run. */
  lostLoaders: number[];
  /** The trained weights by name, also loaded into `options.model`. */
  weights: Map<string, Float32Array>;
}

type Call = (...args: unknown[]) => Promise<unknown>;
const call = <T>(h: AnyHandle, method: string, ...args: unknown[]): Promise<T> =>
  (h.call as unknown as Record<string, Call>)[method]!(...args) as Promise<T>;

/** Where a sibling module is, from sources (tsx) or from the build. */
const sibling = (name: string): URL =>
  new URL(`./${name}${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

const isDeath = (err: unknown): boolean =>
  err instanceof TroupeError && (err.code === 'ACTOR_DIED' || err.code === 'UNAVAILABLE');

export async function trainFleet(cluster: Cluster, options: FleetOptions): Promise<FleetResult> {
  const plan = planFleet(options);
  const roles: Array<{ role: string; resources: Record<string, number> }> = [
    { role: 'coordinator', resources: { CPU: 0.05 } },
    ...Array.from({ length: plan.loaders }, () => ({ role: 'loader', resources: plan.resources.loader })),
    ...Array.from({ length: plan.shards }, () => ({ role: 'shard', resources: plan.resources.shard })),
    ...Array.from({ length: plan.trainers }, () => ({ role: 'trainer', resources: plan.resources.trainer })),
    ...Array.from({ length: plan.evaluators }, () => ({ role: 'evaluator', resources: plan.resources.evaluator })),
  ];
  const pg = await cluster.placementGroup(
    roles.map((r) => ({ ...r.resources })),
    { strategy: 'PACK' },
  );
  try {
    await pg.ready({ timeoutMs: 60_000 });
    const fleet = await spawnFleet(cluster, pg, options, plan);
    return await runFleet(cluster, options, plan, fleet);
  } finally {
    await pg.remove().catch(() => undefined); // kills every actor of the fleet
  }
}

interface Fleet {
  coordinator: AnyHandle;
  loaders: AnyHandle[];
  shards: AnyHandle[];
  trainers: AnyHandle[];
  evaluators: AnyHandle[];
}

async function spawnFleet(
  cluster: Cluster,
  pg: PlacementGroup,
  options: FleetOptions,
  plan: FleetPlan,
): Promise<Fleet> {
  const threads = options.threadsPerActor ?? 1;
  const env = { TROUPE_NUM_THREADS: String(threads) };
  let bundle = 0;
  const at = (resources: Record<string, number>, extra: Record<string, unknown> = {}) => {
    const { CPU, GPU, ...rest } = resources;
    return {
      placementGroup: pg,
      bundleIndex: bundle++,
      env,
      numCpus: CPU ?? 0,
      ...(GPU ? { numGpus: GPU } : {}),
      ...(Object.keys(rest).length ? { resources: rest } : {}),
      ...extra,
    };
  };
  const device = (r: Record<string, number>) => ((r.GPU ?? 0) > 0 ? ('cuda:0' as const) : ('cpu' as const));
  const Coordinator = cluster.actorClass(sibling('coordinator-actor'), 'DataCoordinator');
  const Loader = cluster.actorClass(sibling('loader-actor'), 'DataLoader');
  const Shard = cluster.actorClass(sibling('shard-actor'), 'ParameterShard');
  const TrainerClass = options.trainer
    ? cluster.actorClass(options.trainer.module, options.trainer.className)
    : cluster.actorClass(sibling('trainer-actor'), 'Trainer');
  const EvaluatorClass = cluster.actorClass(sibling('evaluator-actor'), 'Evaluator');

  const coordinator = await Coordinator.spawn(
    [
      {
        length: plan.train.length,
        batchSize: plan.batch,
        shardBatches: options.shardBatches ?? 4,
        epochs: plan.epochs,
        seed: plan.seed,
        loaders: plan.loaders,
        trainers: plan.trainers,
        timeoutMs: plan.timeoutMs,
      },
    ] as never,
    at({ CPU: 0.05 }, { maxConcurrency: 1000 }),
  );
  const train = plan.train;
  const trainRef = await cluster.put({ x: train.x, y: train.y, features: train.features, classes: train.classes });
  const named = new Map(options.model.namedParameters().map(([n, p]) => [n, p.toFloat32Array()]));
  const refs: ObjectRef[] = [trainRef];
  try {
    const loaders = await Promise.all(
      Array.from({ length: plan.loaders }, (_, l) =>
        Loader.spawn(
          [
            {
              index: l,
              coordinator,
              data: trainRef,
              batchSize: plan.batch,
              prefetch: options.prefetch ?? 4,
              transform: options.transform
                ? { module: String(options.transform.module), name: options.transform.name }
                : undefined,
              timeoutMs: plan.timeoutMs,
            },
          ] as never,
          at(plan.resources.loader, { maxConcurrency: 1000 }),
        ),
      ),
    );
    // Large values go as refs (resolved before the constructors run), never inline in the spawn.
    const shardValues = await Promise.all(
      Array.from({ length: plan.shards }, (_, k) => cluster.put(gather(plan.layout, k, named))),
    );
    refs.push(...shardValues);
    const initialRef = plan.mode === 'allreduce' ? await cluster.put(Object.fromEntries(named)) : null;
    if (initialRef) refs.push(initialRef);
    const testRef = plan.test
      ? await cluster.put({ x: plan.test.x, y: plan.test.y, features: plan.test.features })
      : null;
    if (testRef) refs.push(testRef);
    const shards = await Promise.all(
      Array.from({ length: plan.shards }, (_, k) => {
        const config: ShardConfig = {
          index: k,
          slices: plan.layout.shards[k]!,
          values: shardValues[k] as unknown as Float32Array,
          optimizer: options.optimizer,
          policy: plan.policy!,
          trainers: plan.trainers,
          snapshotEvery: plan.every,
          timeoutMs: plan.timeoutMs,
          threads,
        };
        return Shard.spawn([config] as never, at(plan.resources.shard, { maxConcurrency: 1000 }));
      }),
    );
    const trainers = await Promise.all(
      Array.from({ length: plan.trainers }, (_, t) => {
        const config: TrainerConfig = {
          index: t,
          trainers: plan.trainers,
          layers: plan.layers,
          layout: plan.layout,
          mode: plan.mode,
          backupWorkers: plan.policy?.mode === 'bsp' ? plan.policy.backupWorkers : 0,
          shards,
          loaders,
          initial: initialRef ? (initialRef as unknown as Record<string, Float32Array>) : undefined,
          optimizer: plan.mode === 'allreduce' ? options.optimizer : undefined,
          snapshotEvery: plan.every,
          accumulate: options.accumulate ?? 1,
          clipNorm: options.clipNorm ?? 0,
          slowdown: options.slowdown?.[t] ?? 1,
          threads,
          device: device(plan.resources.trainer),
          timeoutMs: plan.timeoutMs,
        };
        return TrainerClass.spawn(
          [config] as never,
          at(plan.resources.trainer, { maxConcurrency: 4, maxRestarts: options.trainerRestarts ?? 2 }),
        );
      }),
    );
    if (plan.mode === 'allreduce') {
      await cluster.collectiveGroup(trainers, {
        name: 'fleet',
        backend: options.update.mode === 'allreduce' ? (options.update.backend ?? 'tcp') : 'tcp',
      });
    }
    const evaluators = plan.test
      ? await Promise.all(
          Array.from({ length: plan.evaluators }, async (_, e) => {
            const config: EvaluatorConfig = {
              index: e,
              layers: plan.layers,
              layout: plan.layout,
              sources: plan.mode === 'allreduce' ? [trainers[0]!] : shards,
              whole: plan.mode === 'allreduce',
              test: testRef as unknown as EvaluatorConfig['test'],
              batch: options.evaluate?.batch ?? 500,
              threads,
              device: device(plan.resources.evaluator),
            };
            return EvaluatorClass.spawn([config] as never, at(plan.resources.evaluator, { maxConcurrency: 4 }));
          }),
        )
      : [];
    return { coordinator, loaders, shards, trainers, evaluators };
  } finally {
    cluster.free(refs);
  }
}

async function runFleet(cluster: Cluster, options: FleetOptions, plan: FleetPlan, fleet: Fleet): Promise<FleetResult> {
  void cluster;
  const t0 = performance.now();
  const restarts = new Array<number>(plan.trainers).fill(0);
  const lostLoaders = new Set<number>();
  let over = false;
  let fail: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = reject;
  });
  failed.catch(() => undefined);

  const evalRuns = fleet.evaluators.map((e, i) =>
    call<Evaluation[]>(e, 'run').catch((err: unknown) => {
      // An evaluator that dies costs its curve, never the training.
      process.emitWarning(`evaluator ${i} (actor ${e.id}) failed: ${err instanceof Error ? err.message : String(err)}`);
      return [] as Evaluation[];
    }),
  );

  const supervise = async (t: number): Promise<TrainerReport> => {
    const handle = fleet.trainers[t]!;
    for (;;) {
      try {
        return await call<TrainerReport>(handle, 'run');
      } catch (err) {
        if (over) throw err;
        const why = err instanceof Error ? err.message : String(err);
        if (!isDeath(err) || /parameter shard/.test(why))
          throw new UnavailableError(`trainer ${t} (actor ${handle.id}) failed: ${why}`, { cause: err });
        if (restarts[t]! >= (options.trainerRestarts ?? 2))
          throw new UnavailableError(
            `trainer ${t} (actor ${handle.id}) died and has no restarts left (trainerRestarts ${options.trainerRestarts ?? 2}): ${why}`,
            { cause: err },
          );
        restarts[t]!++;
        // Its batches go back in the queue; SSP and async go on without it until it rejoins.
        await call(fleet.coordinator, 'trainerGone', t);
        if (plan.mode === 'ssp' || plan.mode === 'async')
          await Promise.all(fleet.shards.map((s) => call(s, 'leave', t)));
      }
    }
  };

  let shardStats: ShardStats | null = null;
  let lastEval: number | null = null;
  const monitor = async (): Promise<void> => {
    // Loaders and shards: a dead loader hands its shards back; a dead shard ends the run.
    await Promise.all([
      ...fleet.loaders.map(async (l, i) => {
        if (lostLoaders.has(i)) return;
        try {
          await call(l, 'stats');
        } catch (err) {
          if (over || !isDeath(err)) return;
          lostLoaders.add(i);
          await call(fleet.coordinator, 'loaderGone', i).catch(() => undefined);
          if (lostLoaders.size === fleet.loaders.length)
            fail(new UnavailableError(`every data loader died (${fleet.loaders.length})`));
        }
      }),
      ...fleet.shards.map(async (s, k) => {
        try {
          const stats = await call<ShardStats>(s, 'stats');
          if (k === 0) shardStats = stats;
        } catch (err) {
          if (over) return;
          const why = err instanceof Error ? err.message : String(err);
          fail(
            new UnavailableError(`parameter shard ${k} (actor ${s.id}) died: ${why}`, {
              cause: err,
              context: { shard: String(k) },
            }),
          );
        }
      }),
    ]);
    if (fleet.evaluators[0]) {
      const c = await call<{ evaluations: Evaluation[] }>(fleet.evaluators[0], 'curve').catch(() => null);
      const newest = c?.evaluations.at(-1);
      if (newest) lastEval = newest.accuracy;
    }
    if (options.onProgress && shardStats) options.onProgress(progressOf(shardStats, lastEval, plan, t0));
  };
  const interval = options.progressIntervalMs ?? 500;
  let ticking = Promise.resolve();
  const timer = setInterval(() => {
    ticking = ticking.then(monitor).catch(() => undefined);
  }, interval);

  try {
    const reports = await Promise.race([Promise.all(fleet.trainers.map((_, t) => supervise(t))), failed]);
    const seconds = (performance.now() - t0) / 1000;
    over = true;
    clearInterval(timer);
    await ticking;
    await Promise.all(fleet.evaluators.map((e) => call(e, 'stop').catch(() => undefined)));
    const curves = await Promise.all(evalRuns);
    const evalCurve = fleet.evaluators[0]
      ? await call<{ evaluations: Evaluation[]; skipped: number }>(fleet.evaluators[0], 'curve').catch(() => null)
      : null;
    const data = await call<CoordinatorStats>(fleet.coordinator, 'stats');
    const weights = new Map<string, Float32Array>();
    for (const { name, shape } of plan.layout.params)
      weights.set(name, new Float32Array(shape.reduce((a, b) => a * b, 1)));
    let stats: ShardStats | null = null;
    let losses: Array<[number, number, number]>;
    if (plan.mode === 'allreduce') {
      const params = options.model.namedParameters();
      const w = await call<Record<string, Float32Array>>(fleet.trainers[0]!, 'weights');
      for (const [name] of params) weights.set(name, w[name]!);
      losses = await call<Array<[number, number, number]>>(fleet.trainers[0]!, 'losses');
    } else {
      const parts = await Promise.all(fleet.shards.map((s) => call<Float32Array>(s, 'weights')));
      parts.forEach((v, k) => scatter(plan.layout, k, v, weights));
      stats = await call<ShardStats>(fleet.shards[0]!, 'stats');
      losses = stats.losses;
    }
    options.model.loadParameters(weights);
    const samples = reports.reduce((s, r) => s + r.samples, 0);
    return {
      mode: plan.mode,
      updates: stats ? stats.version : (losses.at(-1)?.[0] ?? 0),
      samples,
      seconds,
      samplesPerSecond: samples / seconds,
      losses,
      evaluations: curves[0] ?? [],
      skippedEvaluations: evalCurve?.skipped ?? 0,
      testAccuracy: plan.test ? await accuracy(options.model, plan.test) : null,
      clocks: reports.map((r) => r.clock),
      staleness: stats?.staleness ?? [],
      reads: stats?.reads ?? [],
      waitMs: reports.map((r) => r.pushWaitMs),
      trainers: reports.map((r, t) => ({ ...r, restarts: restarts[t]! })),
      data,
      lostLoaders: [...lostLoaders],
      weights,
    };
  } finally {
    over = true;
    clearInterval(timer);
  }
}

function progressOf(s: ShardStats, evalAccuracy: number | null, plan: FleetPlan, t0: number): FleetProgress {
  const elapsedMs = performance.now() - t0;
  const total = s.staleness.reduce((a, b) => a + b, 0);
  const weighted = s.staleness.reduce((a, n, k) => a + n * k, 0);
  return {
    step: s.version,
    epoch: Math.floor(s.samples / plan.train.length),
    samples: s.samples,
    samplesPerSecond: s.samples / (elapsedMs / 1000),
    loss: s.losses.at(-1)?.[2] ?? Number.NaN,
    staleness: total ? weighted / total : 0,
    evalAccuracy,
    clocks: s.clocks,
    elapsedMs,
  };
}
