/**
 * `npm run bench -- calls [--duration-ms N] [--warmup-ms N] [--window N] [--only raw|troupe]`
 *
 * Measures the raw baselines and Troupe side by side in one run: raw grpc-js unary and bidi-stream
 * echo between two processes and a raw Node process start, then Troupe 1:1 sync and async calls,
 * n:n async calls, warm-pool actor creation latency and shared-actor creation rate, and the first
 * spawn on a fresh embedded cluster with a wrong class name's report time (first-spawn.ts, which
 * prints where that time goes). Prints a table of figures with baselines and ratios, then the notes;
 * the last line of stdout is the same as one JSON object.
 * Exits 1 if any section failed (a missed target is reported, not an exit status), 2 on bad usage.
 */
import { rawBidi, rawUnary, startEchoPeer, type EchoPeer } from './raw/baselines.js';
import { coldStartRate, coldStartSamples } from './raw/spawn.js';
import { percentile, Report } from './lib/report.js';
import { choice, int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';
import { runTroupeSections, type Baselines, type CallsOptions } from './calls-troupe.js';
import { runFirstSpawnSection } from './first-spawn.js';

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

async function runRawSections(report: Report, opts: CallsOptions): Promise<Baselines> {
  const limit = opts.warmupMs + opts.durationMs + 30_000;
  const timing = { durationMs: opts.durationMs, warmupMs: opts.warmupMs };
  const base: Baselines = { unary: null, bidi: null, coldP50: null, coldP99: null, coldRate: null };
  let peer: EchoPeer | undefined;
  try {
    [base.unary] = await section(
      report,
      [{ name: 'raw grpc-js unary echo, 1 in flight', unit: 'calls/s' }],
      limit,
      async () => {
        peer ??= await startEchoPeer();
        return [{ value: (await rawUnary(peer, timing)).perSecond }];
      },
    );
    // Not a target's baseline: the floor of one call at a time on a stream, which Troupe uses.
    await section(report, [{ name: 'raw grpc-js bidi-stream echo, 1 in flight', unit: 'msgs/s' }], limit, async () => {
      peer ??= await startEchoPeer();
      return [{ value: (await rawBidi(peer, { ...timing, window: 1 })).perSecond }];
    });
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
  [base.coldP50, base.coldP99] = await section(
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
  [base.coldRate] = await section(
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
  const empty: Baselines = { unary: null, bidi: null, coldP50: null, coldP99: null, coldRate: null };
  const base = opts.only === 'troupe' ? empty : await runRawSections(report, opts);
  if (opts.only !== 'raw') {
    await runTroupeSections(report, opts, base);
    await runFirstSpawnSection(report, base.coldP50);
  }
  report.print();
  return report.failed ? 1 : 0;
}
