/**
 * `npm run bench -- nested [--duration-ms N] [--window N] [--spawns N]`
 *
 * Actors that use the cluster, on an embedded cluster. Baseline: the driver calling an actor (1:1,
 * sync and `--window` in flight), measured in the same run; the figure: an actor calling the same
 * kind of actor through a handle it was passed as an argument, the same way (target ≥ 0.9× the
 * driver's). Actor creation from inside an actor (shared isolation) is set beside the driver
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
/** A small argument, ~32 bytes once packed, as the calls benchmark's. */
const ARG = { seq: 1, pad: 'x'.repeat(16) };
const SPAWN_CONCURRENCY = 32;

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
    const [driverSync, driverAsync] = await section(
      report,
      [
        { name: rows.driverSync, unit: 'calls/s' },
        { name: rows.driverAsync, unit: 'calls/s' },
      ],
      120_000,
      async () => {
        const sync = await measureRate(() => target.call.echo(ARG), { ...timing, inFlight: 1 });
        const win = await measureRate(() => target.call.echo(ARG), { ...timing, inFlight: opts.window });
        return [{ value: sync.perSecond }, { value: win.perSecond }];
      },
    );
    const atLeast = { on: 'ratio', op: '>=', threshold: 0.9 } as const;
    await section(
      report,
      [
        {
          name: 'actor → actor 1:1 sync calls through a handle passed as an argument',
          unit: 'calls/s',
          opts: { baselineName: rows.driverSync, target: atLeast },
        },
        {
          name: `actor → actor 1:1 async calls through a handle passed as an argument, ${opts.window} in flight`,
          unit: 'calls/s',
          opts: { baselineName: rows.driverAsync, target: atLeast },
        },
      ],
      120_000,
      async () => {
        const sync = await caller.call.drive(target, ARG, 1, timing);
        const win = await caller.call.drive(target, ARG, opts.window, timing);
        return [
          { value: sync, baseline: driverSync ?? undefined },
          { value: win, baseline: driverAsync ?? undefined },
        ];
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
  } finally {
    await cluster?.shutdown();
  }
  report.print();
  return report.failed ? 1 : 0;
}
