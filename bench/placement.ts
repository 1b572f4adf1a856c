/**
 * `npm run bench -- placement [--groups N] [--concurrency N]`
 *
 * Placement groups on a local (embedded) cluster: create + ready + remove of one-bundle groups per
 * second, `--concurrency` in flight. A cycle is three requests to the head on one multiplexed
 * bidi stream (create, wait ready, remove), so its like-for-like floor, measured in the same run, is
 * a raw grpc-js bidi-stream echo to another process with as many messages in flight, divided by
 * three: the same round trips with no scheduling, no ledger and no state behind them. Single actor
 * reservations (spawn of a `shared` actor holding one CPU, then kill) are printed beside it as
 * information: another kind of work, not a baseline. The target is an absolute ≥ 1,000 groups/s.
 */
import { connect, type Cluster } from '../src/index.js';
import { Report } from './lib/report.js';
import { int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';
import { comparePeer } from './lib/peers.js';
import { rawBidi, startEchoPeer } from './raw/baselines.js';

/** Requests to the head in one create + ready + remove cycle. */
const ROUND_TRIPS_PER_CYCLE = 3;

const usage = 'usage: placement [--groups N (3000)] [--actors N (300)] [--concurrency N (32)]';

interface Options {
  groups: number;
  actors: number;
  concurrency: number;
}

function parseArgs(args: string[]): Options {
  return parseFlags(args, { groups: int(1, 3000), actors: int(1, 300), concurrency: int(1, 32) }, usage);
}

/** Runs `total` cycles of `once`, `concurrency` at a time; returns cycles per second. */
async function rate(total: number, concurrency: number, once: () => Promise<void>): Promise<number> {
  let started = 0;
  const t0 = performance.now();
  const lane = async (): Promise<void> => {
    while (started < total) {
      started++;
      await once();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return (total * 1000) / (performance.now() - t0);
}

export async function run(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  const report = new Report('placement');
  const names = {
    one: `placement group create + ready + remove (1 bundle {CPU: 1}), ${opts.groups} with ${opts.concurrency} in flight`,
    four: `placement group create + ready + remove (4 bundles {CPU: 1}, SPREAD), ${opts.groups} with ${opts.concurrency} in flight`,
  };
  let cluster: Cluster | undefined;
  try {
    const [baseline] = await section(
      report,
      [
        {
          name: `raw grpc-js bidi-stream echo, ${opts.concurrency} in flight, per ${ROUND_TRIPS_PER_CYCLE} round trips`,
          unit: 'cycles/s',
        },
      ],
      120_000,
      async () => {
        const peer = await startEchoPeer();
        try {
          const r = await rawBidi(peer, { durationMs: 3000, warmupMs: 500, window: opts.concurrency });
          return [{ value: r.perSecond / ROUND_TRIPS_PER_CYCLE }];
        } finally {
          await peer.close();
        }
      },
    );
    cluster = await connect({ numCpus: 256, warmPoolSize: 2 });
    const c = cluster;
    await section(
      report,
      [
        {
          name: `single actor reservation: spawn (shared, 1 CPU) + kill, ${opts.actors} with ${opts.concurrency} in flight`,
          unit: 'cycles/s',
        },
      ],
      300_000,
      async () => {
        const A = c.actorClass(new URL('./actors/echo.js', import.meta.url), 'EchoActor');
        await (await A.spawn([], { isolation: 'shared', numCpus: 1 })).kill(); // warm the shared host
        const value = await rate(opts.actors, opts.concurrency, async () => {
          const a = await A.spawn([], { isolation: 'shared', numCpus: 1 });
          await a.kill();
        });
        return [{ value }];
      },
    );
    await section(
      report,
      [
        {
          name: names.one,
          unit: 'groups/s',
          opts: { baselineName: 'raw bidi / 3', target: { on: 'value', op: '>=', threshold: 1000 } },
        },
        {
          name: names.four,
          unit: 'groups/s',
          opts: { baselineName: 'raw bidi / 3' },
        },
      ],
      300_000,
      async () => {
        const one = await rate(opts.groups, opts.concurrency, async () => {
          const pg = await c.placementGroup([{ CPU: 1 }], { strategy: 'PACK' });
          await pg.ready();
          await pg.remove();
        });
        const four = await rate(opts.groups, opts.concurrency, async () => {
          const pg = await c.placementGroup([{ CPU: 1 }, { CPU: 1 }, { CPU: 1 }, { CPU: 1 }], { strategy: 'SPREAD' });
          await pg.ready();
          await pg.remove();
        });
        return [
          { value: one, baseline },
          { value: four, baseline },
        ];
      },
    );
  } finally {
    await cluster?.shutdown();
  }
  await comparePeer(report, {
    peer: 'ray',
    script: 'ray_placement.py',
    params: { groups: opts.groups, concurrency: opts.concurrency },
    timeoutMs: 600_000,
    rows: [
      {
        what: `placement group create + ready + remove (1 bundle), ${opts.concurrency} in flight`,
        unit: 'groups/s',
        troupeRow: names.one,
        peer: (o) => o.one,
      },
      {
        what: `placement group create + ready + remove (4 bundles, SPREAD), ${opts.concurrency} in flight`,
        unit: 'groups/s',
        troupeRow: names.four,
        peer: (o) => o.four,
      },
    ],
  });
  report.print();
  return report.failed ? 1 : 0;
}
