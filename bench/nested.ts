/**
 * `npm run bench -- nested [--duration-ms N] [--window N] [--spawns N]`
 *
 * Actors that use the cluster, on an embedded cluster. Baseline: the driver calling an actor (1:1,
 * sync and `--window` in flight), measured in the same run; the figure: an actor calling the same
 * actor through a handle it was passed as an argument, the same way (target ≥ 0.9× the driver's);
 * the two take their samples in turn, medians of three. Actor creation from inside an actor (shared isolation) is set beside the driver
 * creating the same actors. Tiny tasks (remote functions), sync and 1,000 in flight from one
 * caller, are set beside the driver's actor calls: a task is a call to an executor actor plus its
 * scheduling (Ray publishes about 1k sync and 10k async tasks/s from one client on 64 cores).
 */
import { connect, type Cluster } from '../src/index.js';
import { spawnRate, type NestedCaller, type NestedTarget } from './actors/nested.js';
import { int, parseFlags } from './lib/flags.js';
import { measureRate, Report } from './lib/report.js';
import { section } from './lib/sections.js';

const usage = 'usage: nested [--duration-ms N (3000)] [--window N (256)] [--spawns N (300)] [--tasks N (1000)]';
const ACTORS = new URL('./actors/nested.js', import.meta.url);
const TASKS = new URL('./actors/tasks.js', import.meta.url);
/** A small argument, ~32 bytes once packed, as the calls benchmark's. */
const ARG = { seq: 1, pad: 'x'.repeat(16) };
const SPAWN_CONCURRENCY = 32;
/** Samples of each call figure, taken in turn with its baseline. */
const ROUNDS = 3;
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;

export async function run(args: string[]): Promise<number> {
  const opts = parseFlags(
    args,
    { 'duration-ms': int(100, 3000), window: int(1, 256), spawns: int(1, 300), tasks: int(1, 1000) },
    usage,
  );
  const timing = { durationMs: opts['duration-ms'], warmupMs: 500 };
  const report = new Report('nested');
  let cluster: Cluster | undefined;
  try {
    cluster = await connect({ numCpus: 16, warmPoolSize: 2 });
    const c = cluster;
    const Target = c.actorClass<typeof NestedTarget>(ACTORS, 'NestedTarget');
    const Caller = c.actorClass<typeof NestedCaller>(ACTORS, 'NestedCaller');
    const target = await Target.spawn([], { numCpus: 0 });
    const caller = await Caller.spawn([], { numCpus: 0 });
    const rows = {
      driverSync: 'driver → actor 1:1 sync calls, 1 in flight',
      driverAsync: `driver → actor 1:1 async calls, ${opts.window} in flight`,
    };
    // Driver and actor figures are taken in turn, ROUNDS times each, and report their medians: on a
    // shared 2-core machine one sample of each, one after the other, swings with whatever else runs.
    const sample = {
      driver: (inFlight: number) =>
        measureRate(() => target.call.echo(ARG), { ...timing, inFlight }).then((r) => r.perSecond),
      actor: (inFlight: number) => caller.call.drive(target, ARG, inFlight, timing),
    };
    const inTurn = async (inFlight: number): Promise<{ driver: number; actor: number }> => {
      const d: number[] = [];
      const a: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        d.push(await sample.driver(inFlight));
        a.push(await sample.actor(inFlight));
      }
      return { driver: median(d), actor: median(a) };
    };
    const atLeast = { on: 'ratio', op: '>=', threshold: 0.9 } as const;
    const [driverSync] = await section(
      report,
      [
        { name: rows.driverSync, unit: 'calls/s' },
        {
          name: 'actor → actor 1:1 sync calls through a handle passed as an argument',
          unit: 'calls/s',
          opts: { baselineName: rows.driverSync, target: atLeast },
        },
      ],
      180_000,
      async () => {
        const { driver, actor } = await inTurn(1);
        return [{ value: driver }, { value: actor, baseline: driver }];
      },
    );
    await section(
      report,
      [
        { name: rows.driverAsync, unit: 'calls/s' },
        {
          name: `actor → actor 1:1 async calls through a handle passed as an argument, ${opts.window} in flight`,
          unit: 'calls/s',
          opts: { baselineName: rows.driverAsync, target: atLeast },
        },
      ],
      180_000,
      async () => {
        const { driver, actor } = await inTurn(opts.window);
        return [{ value: driver }, { value: actor, baseline: driver }];
      },
    );
    await section(
      report,
      [
        {
          name: `actors spawned by an actor (shared, 0 CPU), ${opts.spawns} with ${SPAWN_CONCURRENCY} in flight`,
          unit: 'actors/s',
          opts: { baselineName: 'the driver spawning the same actors' },
        },
      ],
      300_000,
      async () => {
        const byDriver = await spawnRate(c, opts.spawns, SPAWN_CONCURRENCY);
        const byActor = await caller.call.spawnMany(opts.spawns, SPAWN_CONCURRENCY);
        return [{ value: byActor, baseline: byDriver }];
      },
    );
    const tiny = c.task<typeof import('./actors/tasks.js').tinyTask>(TASKS, 'tinyTask');
    const inFlight = opts.tasks;
    await section(
      report,
      [
        { name: 'tiny tasks, sync (1 in flight)', unit: 'tasks/s', opts: { baselineName: rows.driverSync } },
        {
          name: `tiny tasks, async (${inFlight} in flight from one caller)`,
          unit: 'tasks/s',
          opts: { baselineName: `driver → actor 1:1 async calls, ${inFlight} in flight` },
        },
      ],
      300_000,
      async () => {
        await tiny.call(ARG); // the first executor is spawned before the clock runs
        const sync = await measureRate(() => tiny.call(ARG), { ...timing, inFlight: 1 });
        const calls = await measureRate(() => target.call.echo(ARG), { ...timing, inFlight });
        const many = await measureRate(() => tiny.call(ARG), { ...timing, inFlight });
        return [
          { value: sync.perSecond, baseline: driverSync ?? undefined },
          { value: many.perSecond, baseline: calls.perSecond },
        ];
      },
    );
    report.note(
      'Ray publishes about 1k sync and 10k async tasks/s from one client on a 64-core machine; a task here is a call to an executor actor (shared host, 1 CPU held while it runs) plus the pool that picks it.',
    );
  } finally {
    await cluster?.shutdown();
  }
  report.print();
  return report.failed ? 1 : 0;
}
