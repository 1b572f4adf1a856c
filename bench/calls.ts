/**
 * `npm run bench -- calls [--duration-ms N] [--warmup-ms N] [--window N] [--only raw|troupe]`
 *
 * Measures the raw baselines and Troupe side by side in one run, each Troupe figure against raw
 * work of the same kind: 1:1 sync calls against a raw grpc-js bidi-stream echo with one message in
 * flight (a Troupe call is a message on a long-lived stream), sampled in turn with it while the
 * cluster runs, medians of 3; async calls against the same stream with the same window; n:n calls
 * against as many raw caller processes and echo servers, started together (ready/go); warm-pool
 * actor creation against an idle process importing the actor's module; the first spawn on a fresh
 * cluster against a cold process start. The shared-actor creation rate (which includes cold starts
 * of hosts) has only its target. Raw unary echo and the process start rate are information. See
 * first-spawn.ts for where a first spawn's time goes. `--peers` adds Ray's figures (lib/peers.ts).
 * Prints a table of figures with baselines and ratios, then the notes;
 * the last line of stdout is the same as one JSON object.
 * Exits 1 if any section failed (a missed target is reported, not an exit status), 2 on bad usage.
 */
import { rawBidi, rawUnary, startEchoPeer, type EchoPeer } from './raw/baselines.js';
import { warmImportSamples } from './raw/warm-import.js';
import { startChild, startTogether, type Child } from './lib/children.js';
import { coldStartRate, coldStartSamples } from './raw/spawn.js';
import { percentile, Report } from './lib/report.js';
import { choice, int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';
import {
  CREATE_AND_FIRST_CALL,
  CREATE_PAUSE_MS,
  CREATE_SAMPLES_TROUPE as CREATE_SAMPLES,
  NN,
  callRowNames,
  runTroupeSections,
  sumRates,
  type Baselines,
  type CallsOptions,
} from './calls-troupe.js';
import { runFirstSpawnSection } from './first-spawn.js';
import { comparePeer } from './lib/peers.js';

export type { CallsOptions };

export const usage =
  'usage: calls [--duration-ms N (3000)] [--warmup-ms N (500)] [--window N (256)] [--only raw|troupe]';

export function parseCallsArgs(args: string[]): CallsOptions {
  const f = parseFlags(
    args,
    {
      'duration-ms': int(1, 3000),
      'warmup-ms': int(0, 500),
      window: int(1, 256),
      only: choice<CallsOptions['only']>(['raw', 'troupe'], 'all'),
    },
    usage,
  );
  return { durationMs: f['duration-ms'], warmupMs: f['warmup-ms'], window: f.window, only: f.only };
}

const COLD_START_SAMPLES = 10;
const COLD_START_PARALLEL = 16;

const noBaselines = (): Baselines => ({
  bidi1: null,
  bidi: null,
  nn: null,
  warmP50: null,
  warmP99: null,
  coldP50: null,
});

/**
 * The raw n:n floor: NN echo servers and NN caller processes, one bidi stream each with `window`
 * in flight, started together (ready/go) and measured over the same window; rates summed.
 */
async function rawNn(opts: CallsOptions, limitMs: number): Promise<number> {
  const peers: EchoPeer[] = [];
  const callers: Child[] = [];
  try {
    for (let i = 0; i < NN; i++) peers.push(await startEchoPeer());
    for (const peer of peers) {
      callers.push(
        startChild(new URL('./raw/nn-raw-caller.js', import.meta.url), [], {
          BENCH_ECHO_PORT: String(peer.port),
          BENCH_WINDOW: String(opts.window),
          BENCH_DURATION_MS: String(opts.durationMs),
          BENCH_WARMUP_MS: String(opts.warmupMs),
        }),
      );
    }
    await startTogether(callers);
    return sumRates(await Promise.all(callers.map((c) => c.nextLine(limitMs))));
  } finally {
    await Promise.all(callers.map((c) => c.stop()));
    await Promise.all(peers.map((p) => p.close()));
  }
}

async function runRawSections(report: Report, opts: CallsOptions): Promise<Baselines> {
  const limit = opts.warmupMs + opts.durationMs + 30_000;
  const timing = { durationMs: opts.durationMs, warmupMs: opts.warmupMs };
  const base = noBaselines();
  let peer: EchoPeer | undefined;
  try {
    // Not a baseline: one call per HTTP/2 stream, which no Troupe call uses (they share one stream).
    await section(report, [{ name: 'raw grpc-js unary echo, 1 in flight', unit: 'calls/s' }], limit, async () => {
      peer ??= await startEchoPeer();
      return [{ value: (await rawUnary(peer, timing)).perSecond }];
    });
    // The floor of one call at a time on a long-lived stream, which is what a Troupe call is.
    [base.bidi1] = await section(
      report,
      [{ name: 'raw grpc-js bidi-stream echo, 1 in flight', unit: 'msgs/s' }],
      limit,
      async () => {
        peer ??= await startEchoPeer();
        return [{ value: (await rawBidi(peer, { ...timing, window: 1 })).perSecond }];
      },
    );
    [base.bidi] = await section(
      report,
      [{ name: `raw grpc-js bidi-stream echo, ${opts.window} in flight`, unit: 'msgs/s' }],
      limit,
      async () => {
        peer ??= await startEchoPeer();
        return [{ value: (await rawBidi(peer, { ...timing, window: opts.window })).perSecond }];
      },
    );
  } finally {
    await peer?.close();
  }
  [base.nn] = await section(
    report,
    [
      {
        name: `raw grpc-js bidi-stream echo, ${NN} caller procs x ${opts.window} in flight to ${NN} servers, started together`,
        unit: 'msgs/s',
      },
    ],
    limit + 30_000,
    async () => [{ value: await rawNn(opts, limit) }],
  );
  [base.warmP50, base.warmP99] = await section(
    report,
    [
      { name: `raw idle process imports the actor module and constructs it, p50 of ${CREATE_SAMPLES}`, unit: 'ms' },
      { name: `raw idle process imports the actor module and constructs it, p99 of ${CREATE_SAMPLES}`, unit: 'ms' },
    ],
    60_000,
    async () => {
      const samples = await warmImportSamples(
        CREATE_SAMPLES,
        new URL('./actors/echo.js', import.meta.url),
        'EchoActor',
      );
      return [{ value: percentile(samples, 50) }, { value: percentile(samples, 99) }];
    },
  );
  [base.coldP50] = await section(
    report,
    [
      { name: `raw node process start to first line, p50 of ${COLD_START_SAMPLES}`, unit: 'ms' },
      { name: `raw node process start to first line, p99 of ${COLD_START_SAMPLES}`, unit: 'ms' },
    ],
    60_000,
    async () => {
      const samples = await coldStartSamples(COLD_START_SAMPLES);
      return [{ value: percentile(samples, 50) }, { value: percentile(samples, 99) }];
    },
  );
  // Information, not a baseline: how fast this machine starts processes at all.
  await section(
    report,
    [{ name: `raw node process starts, ${COLD_START_PARALLEL} at once`, unit: 'procs/s' }],
    60_000,
    async () => [{ value: await coldStartRate(COLD_START_PARALLEL) }],
  );
  return base;
}

/** Runs the benchmark; resolves with the process exit code. */
export async function run(args: string[]): Promise<number> {
  const opts = parseCallsArgs(args);
  const report = new Report('calls');
  const base = opts.only === 'troupe' ? noBaselines() : await runRawSections(report, opts);
  if (opts.only !== 'raw') {
    // The sync figure's baseline is measured again in turn with it (see runTroupeSections).
    const peer = opts.only === 'troupe' ? undefined : await startEchoPeer();
    try {
      const timing = { durationMs: opts.durationMs, warmupMs: opts.warmupMs, window: 1 };
      await runTroupeSections(report, opts, base, peer && (async () => (await rawBidi(peer, timing)).perSecond));
    } finally {
      await peer?.close();
    }
    await runFirstSpawnSection(report, base.coldP50);
    await comparePeer(report, {
      peer: 'ray',
      script: 'ray_calls.py',
      params: {
        duration_ms: opts.durationMs,
        warmup_ms: opts.warmupMs,
        window: opts.window,
        nn: NN,
        create_samples: CREATE_SAMPLES,
        create_pause_ms: CREATE_PAUSE_MS,
      },
      timeoutMs: 600_000,
      rows: [
        {
          what: '1:1 sync calls, 1 in flight',
          unit: 'calls/s',
          troupeRow: callRowNames(opts.window).sync,
          peer: (o) => o.sync,
        },
        {
          what: `1:1 async calls, ${opts.window} in flight`,
          unit: 'calls/s',
          troupeRow: callRowNames(opts.window).async,
          peer: (o) => o.async,
        },
        {
          what: `${NN}:${NN} async calls, ${NN} caller procs x ${opts.window} in flight, started together`,
          unit: 'calls/s',
          troupeRow: callRowNames(opts.window).nn,
          peer: (o) => o.nn,
        },
        {
          what: `actor created + first call, p50 of ${CREATE_SAMPLES}`,
          unit: 'ms',
          troupeRow: CREATE_AND_FIRST_CALL,
          peer: (o) => o.create_p50,
        },
      ],
    });
  }
  report.print();
  return report.failed ? 1 : 0;
}
