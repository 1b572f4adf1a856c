/**
 * The Troupe half of `bench/calls.ts`: an embedded local cluster (`connect()` with no address),
 * echo actors from bench/actors/echo.ts, each figure set beside the raw baseline measured in the
 * same run. Every section catches its own failure (see lib/sections.ts).
 */
import { startChild, startTogether, type Child } from './lib/children.js';
import { percentile, sleep, type Report, measureRate } from './lib/report.js';
import { section, withTimeout } from './lib/sections.js';
import { connect, type ActorHandle, type Cluster } from '../src/index.js';

type EchoActor = typeof import('./actors/echo.js').EchoActor;

/** Raw figures from the same run; null when not measured (--only troupe) or failed. */
export interface CallsOptions {
  durationMs: number;
  warmupMs: number;
  /** Calls/messages kept in flight by the pipelined sections. */
  window: number;
  only: 'all' | 'raw' | 'troupe';
}

export interface Baselines {
  /** Raw bidi-stream echo, one message in flight. */
  bidi1: number | null;
  /** Raw bidi-stream echo, `window` in flight. */
  bidi: number | null;
  /** NN raw callers to NN echo servers, started together, summed. */
  nn: number | null;
  /** An idle process importing and constructing the actor's module. */
  warmP50: number | null;
  warmP99: number | null;
  /** A cold Node process start to its first line. */
  coldP50: number | null;
}

/** Sums the `{"calls","seconds"}` lines of callers that measured over the same window. */
export function sumRates(lines: readonly string[]): number {
  let total = 0;
  for (const line of lines) {
    const r = JSON.parse(line) as { calls: number; seconds: number };
    total += r.calls / r.seconds;
  }
  return total;
}

export const NN = 4;
export const CREATE_SAMPLES_TROUPE = 30;
/** The figure a Ray actor's creation is set against (Ray's handle comes before the actor exists). */
export const CREATE_AND_FIRST_CALL = `troupe warm-pool actor creation + first call, p50 of ${CREATE_SAMPLES_TROUPE}`;

/** The names of the call rows a peer's figures are set beside (bench/calls.ts --peers). */
export const callRowNames = (window: number) => ({
  sync: 'troupe 1:1 sync calls, 1 in flight',
  async: `troupe 1:1 async calls, ${window} in flight`,
  nn: `troupe ${NN}:${NN} async calls, ${NN} caller procs x ${window} in flight, started together`,
});
const NN_NAMESPACE = 'bench';
const CREATE_SAMPLES = CREATE_SAMPLES_TROUPE;
// A new host process takes ~150 ms of CPU to start on the 2-core machine: give the pool time to
// refill, so that each sample measures creation from a warm pool, not contention with the refill
// (the raw baseline's idle process is likewise started before its samples).
export const CREATE_PAUSE_MS = 600;
const SHARED_COUNT = 1000;
/** Samples of the sync figure, each in turn with one of its raw baseline. */
const SYNC_ROUNDS = 3;
/** A small argument, ~32 bytes once packed, like the raw baseline's payload. */
const ARG = { seq: 1, pad: 'x'.repeat(16) };

async function killAll(actors: Array<ActorHandle<EchoActor>>): Promise<void> {
  await Promise.allSettled(actors.map((a) => a.kill()));
}

/**
 * `rawInTurn`, when given, measures the raw 1-in-flight baseline once more; the sync figure then
 * takes its samples in turn with it and both report their median.
 */
export async function runTroupeSections(
  report: Report,
  opts: CallsOptions,
  base: Baselines,
  rawInTurn?: () => Promise<number>,
): Promise<void> {
  const limit = opts.warmupMs + opts.durationMs + 60_000;
  const timing = { durationMs: opts.durationMs, warmupMs: opts.warmupMs };
  const w = opts.window;
  const names = callRowNames(w);
  const rows = {
    sync: {
      name: names.sync,
      unit: 'calls/s',
      opts: {
        baselineName: `raw bidi, 1 in flight, in turn (medians of ${SYNC_ROUNDS})`,
        target: { on: 'ratio', op: '>=', threshold: 0.9 },
      },
    },
    async: {
      name: names.async,
      unit: 'calls/s',
      opts: { baselineName: 'raw bidi', target: { on: 'ratio', op: '>=', threshold: 0.7 } },
    },
    nn: {
      name: names.nn,
      unit: 'calls/s',
      opts: { baselineName: `raw ${NN}:${NN} bidi` },
    },
    p50: {
      name: `troupe warm-pool actor creation (spawn resolved), p50 of ${CREATE_SAMPLES}`,
      unit: 'ms',
      opts: { baselineName: 'raw idle-process import p50', target: { on: 'value', op: '<=', threshold: 15 } },
    },
    p99: {
      name: `troupe warm-pool actor creation (spawn resolved), p99 of ${CREATE_SAMPLES}`,
      unit: 'ms',
      opts: { baselineName: 'raw idle-process import p99' },
    },
    first: {
      name: `troupe first call to a new actor (new connection), p50 of ${CREATE_SAMPLES}`,
      unit: 'ms',
      opts: {},
    },
    createFirst: {
      name: CREATE_AND_FIRST_CALL,
      unit: 'ms',
      opts: {},
    },
    shared: {
      name: `troupe shared actors created + first call, ${SHARED_COUNT} at once`,
      unit: 'actors/s',
      opts: { target: { on: 'value', op: '>=', threshold: 1000 } },
    },
  } as const;

  let cluster: Cluster;
  try {
    cluster = await withTimeout(connect(), 60_000, 'connect()');
  } catch (err) {
    const wrapped = new Error(`connect() failed: ${err instanceof Error ? err.message : String(err)}`);
    for (const r of Object.values(rows)) report.fail(r.name, r.unit, wrapped, r.opts);
    return;
  }
  const Echo = cluster.actorClass<EchoActor>(new URL('./actors/echo.js', import.meta.url), 'EchoActor');

  try {
    await section(report, [rows.sync], limit * SYNC_ROUNDS, async () => {
      const a = await Echo.spawn([], { isolation: 'process' });
      const troupe: number[] = [];
      const raw: number[] = [];
      try {
        // In turn with the raw baseline, while this cluster runs: both see the same machine.
        for (let r = 0; r < SYNC_ROUNDS; r++) {
          if (rawInTurn) raw.push(await rawInTurn());
          troupe.push((await measureRate(() => a.call.echo(ARG), { ...timing, inFlight: 1 })).perSecond);
        }
        return [{ value: percentile(troupe, 50), baseline: raw.length > 0 ? percentile(raw, 50) : base.bidi1 }];
      } finally {
        await a.kill();
      }
    });

    await section(report, [rows.async], limit, async () => {
      const a = await Echo.spawn([], { isolation: 'process' });
      try {
        const rate = await measureRate(() => a.call.echo(ARG), { ...timing, inFlight: w });
        return [{ value: rate.perSecond, baseline: base.bidi }];
      } finally {
        await a.kill();
      }
    });

    await section(report, [rows.nn], limit, async () => {
      const actors: Array<ActorHandle<EchoActor>> = [];
      const callers: Child[] = [];
      try {
        for (let i = 0; i < NN; i++) {
          actors.push(await Echo.spawn([], { isolation: 'process', name: `echo-${i}`, namespace: NN_NAMESPACE }));
        }
        for (let i = 0; i < NN; i++) {
          const cfg = {
            address: cluster.address,
            token: cluster.token,
            name: `echo-${i}`,
            namespace: NN_NAMESPACE,
            ...timing,
            window: w,
          };
          callers.push(
            startChild(new URL('./nn-caller.js', import.meta.url), [], { BENCH_NN_CONFIG: JSON.stringify(cfg) }),
          );
        }
        await startTogether(callers);
        const total = sumRates(await Promise.all(callers.map((c) => c.nextLine(limit))));
        return [{ value: total, baseline: base.nn }];
      } finally {
        await Promise.all(callers.map((c) => c.stop()));
        await killAll(actors);
      }
    });

    await section(report, [rows.p50, rows.p99, rows.first, rows.createFirst], limit, async () => {
      const samples: number[] = [];
      const firstCalls: number[] = [];
      const both: number[] = [];
      for (let i = 0; i < CREATE_SAMPLES; i++) {
        await sleep(CREATE_PAUSE_MS); // let the warm pool refill
        const t0 = performance.now();
        const a = await Echo.spawn([], { isolation: 'process' });
        const t1 = performance.now();
        try {
          await a.call.echo(i);
          samples.push(t1 - t0);
          firstCalls.push(performance.now() - t1);
          both.push(performance.now() - t0);
        } finally {
          await a.kill();
        }
      }
      return [
        { value: percentile(samples, 50), baseline: base.warmP50 },
        { value: percentile(samples, 99), baseline: base.warmP99 },
        { value: percentile(firstCalls, 50), baseline: null },
        { value: percentile(both, 50), baseline: null },
      ];
    });

    await section(report, [rows.shared], limit, async () => {
      const t0 = performance.now();
      const settled = await Promise.allSettled(
        Array.from({ length: SHARED_COUNT }, async (_, i) => {
          const a = await Echo.spawn([], { isolation: 'shared' });
          await a.call.echo(i);
          return a;
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const made = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
      await killAll(made);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure) throw failure.reason;
      return [{ value: SHARED_COUNT / seconds }];
    });
    report.note(
      `${SHARED_COUNT} shared actors fill ${Math.ceil(SHARED_COUNT / 256)} host processes of at most 256 actors ` +
        "(the agent's maxSharedActors); the warm pool (2 by default) gives two of them ready, the others start " +
        'cold meanwhile, and those starts are most of this figure. Before the agent counted an actor in its ' +
        'host at once (issue 13), a burst packed all of them into one process, past the cap, at ~1,800/s.',
    );
  } finally {
    await withTimeout(cluster.shutdown(), 30_000, 'cluster.shutdown()').catch((err: unknown) =>
      process.stderr.write(`[bench] ${err instanceof Error ? err.message : String(err)}\n`),
    );
  }
}
