/**
 * One caller of the n:n section of `bench/calls.ts`, run as its own process. It joins the cluster,
 * looks up its named actor, prints `ready` and waits for `go` (all callers start together), keeps
 * `window` calls in flight for the duration, and prints one line:
 * `{"calls":N,"seconds":S}`. Reads BENCH_NN_CONFIG (JSON: address, token, name, namespace,
 * durationMs, warmupMs, window) from the environment; exits when its stdin closes.
 */
import { exitWhenParentGone, readyThenGo } from './lib/children.js';
import { errorText, measureRate } from './lib/report.js';
import { connect } from '../src/index.js';

interface NnConfig {
  address: string;
  token: string;
  name: string;
  namespace: string;
  durationMs: number;
  warmupMs: number;
  window: number;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.BENCH_NN_CONFIG ?? 'null') as NnConfig | null;
  if (!cfg) throw new Error('BENCH_NN_CONFIG is not set');
  exitWhenParentGone(() => process.exit(1));
  const cluster = await connect({ address: cfg.address, token: cfg.token });
  try {
    const actor = await cluster.getActor<typeof import('./actors/echo.js').EchoActor>(cfg.name, {
      namespace: cfg.namespace,
    });
    const arg = { seq: 1, pad: 'x'.repeat(16) };
    await actor.call.echo(arg); // connected before the common start
    await readyThenGo();
    const rate = await measureRate(() => actor.call.echo(arg), {
      durationMs: cfg.durationMs,
      warmupMs: cfg.warmupMs,
      inFlight: cfg.window,
    });
    process.stdout.write(`${JSON.stringify({ calls: rate.ops, seconds: rate.seconds })}\n`);
  } finally {
    await cluster.shutdown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`nn-caller: ${errorText(err)}\n`);
    process.exit(1);
  },
);
