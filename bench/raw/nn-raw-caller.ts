/**
 * One caller of the raw n:n baseline of `bench/calls.ts`, run as its own process like
 * bench/nn-caller.ts: connects to its own echo server (BENCH_ECHO_PORT), prints `ready`, waits for
 * `go`, keeps BENCH_WINDOW messages in flight on one bidi stream for the duration and prints one line
 * `{"calls":N,"seconds":S}`. Exits when its stdin closes.
 */
import { exitWhenParentGone, readyThenGo } from '../lib/children.js';
import { errorText } from '../lib/report.js';
import { connectEcho, rawBidi } from './baselines.js';

async function main(): Promise<void> {
  const [port, window, durationMs, warmupMs] = [
    'BENCH_ECHO_PORT',
    'BENCH_WINDOW',
    'BENCH_DURATION_MS',
    'BENCH_WARMUP_MS',
  ].map((name) => {
    const n = Number(process.env[name]);
    if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number, got ${process.env[name]}`);
    return n;
  }) as [number, number, number, number];
  exitWhenParentGone(() => process.exit(1));
  const client = await connectEcho(port);
  await readyThenGo();
  const rate = await rawBidi({ client }, { durationMs, warmupMs, window });
  client.close();
  process.stdout.write(`${JSON.stringify({ calls: rate.ops, seconds: rate.seconds })}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`nn-raw-caller: ${errorText(err)}\n`);
    process.exit(1);
  },
);
