/**
 * `npm run bench -- state [--duration-ms N] [--warmup-ms N] [--in-flight N] [--rounds N]`
 *
 * RedisStore's hot path against raw ioredis on the same redis-server (started here on a free
 * port, persistence off), with the same number of operations in flight and the same payload: an
 * ActorRow of about 700 bytes of JSON. Raw pipelined SET/GET is the baseline for `put`/`get` on
 * the actors table; the target is ≥ 0.8× of it. Each figure is the median of `rounds` samples
 * taken in turn with the others of its group. The last line of stdout is one JSON object.
 */
import { Redis } from 'ioredis';
import { RedisStore, type ActorRow } from '../src/state/index.js';
import { startLocalRedis, type LocalRedis } from './lib/redis-server.js';
import { measureRecovery } from './state-recovery.js';
import { measureRate, percentile, Report, type RateOptions, type Target } from './lib/report.js';
import { int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';

export interface StateBenchOptions {
  /** Length of one sample. */
  durationMs: number;
  warmupMs: number;
  inFlight: number;
  /** Samples per figure, interleaved with the other figures of its group; the median is reported. */
  rounds: number;
}

export const usage =
  'usage: state [--duration-ms N (2000)] [--warmup-ms N (300)] [--in-flight N (256)] [--rounds N (3)]';

export function parseStateArgs(args: string[]): StateBenchOptions {
  const f = parseFlags(
    args,
    { 'duration-ms': int(1, 2000), 'warmup-ms': int(0, 300), 'in-flight': int(1, 256), rounds: int(1, 3) },
    usage,
  );
  return { durationMs: f['duration-ms'], warmupMs: f['warmup-ms'], inFlight: f['in-flight'], rounds: f.rounds };
}

/** Distinct rows cycled through, so reads hit existing keys and writes overwrite them. */
const KEYS = 1_000;

/** An actor row shaped like the head's: spec with args and options, placed, with an allocation. */
export function sampleActor(i: number): ActorRow {
  const actorId = `actor-${String(i).padStart(6, '0')}-7f3c9a2e41b8`;
  return {
    actorId,
    spec: {
      module: 'file:///srv/app/dist/actors/parameter-shard.js',
      exportName: 'ParameterShard',
      args: Buffer.alloc(96, i % 251).toString('base64'),
      options: {
        numCpus: 2,
        numGpus: 0,
        memory: 4 * 2 ** 30,
        maxRestarts: 3,
        maxTaskRetries: 1,
        maxConcurrency: 8,
        name: `shard-${i}`,
        namespace: 'training',
      },
    },
    ownerId: 'driver-5e0a17c2b9d4',
    state: 'ALIVE',
    nodeId: 'node-3d9f04be7c21',
    address: '10.0.3.17:41873',
    pid: 20_000 + i,
    allocation: { nodeId: 'node-3d9f04be7c21', resources: { CPU: 2, memory: 4 * 2 ** 30 }, gpuIds: [] },
    death: null,
    numRestarts: 0,
    createdAtMs: 1_767_000_000_000 + i,
  };
}

/** Runs the benchmark; resolves with the process exit code. */
export async function run(args: string[]): Promise<number> {
  const opts = parseStateArgs(args);
  const report = new Report('state');
  const timing = { durationMs: opts.durationMs, warmupMs: opts.warmupMs, inFlight: opts.inFlight };
  const limit = opts.warmupMs + opts.durationMs + 30_000;
  const target: Target = { on: 'ratio', op: '>=', threshold: 0.8 };
  const rows = Array.from({ length: KEYS }, (_, i) => sampleActor(i));
  const payloads = rows.map((r) => JSON.stringify(r));
  const bytes = Math.round(payloads.reduce((n, p) => n + p.length, 0) / KEYS);
  const n = opts.inFlight;

  let server: LocalRedis | undefined;
  let raw: Redis | undefined;
  let store: RedisStore | undefined;
  try {
    server = await startLocalRedis();
    raw = new Redis(server.url, { enableAutoPipelining: true, maxRetriesPerRequest: 3 });
    store = await RedisStore.open(server.url, { keyPrefix: 'troupe:{bench}:' });
    const [r, s] = [raw, store];
    let i = 0;
    const next = () => (i = (i + 1) % KEYS);
    const set = (j: number) => () => r.set(`bench:raw:${next()}`, j === 0 ? payloads[i]! : JSON.stringify(rows[i]));
    const get = async () => {
      if (!(await s.get('actors', rows[next()]!.actorId))) throw new Error('a row the benchmark wrote is missing');
    };
    const getParse = async () => JSON.parse((await r.get(`bench:raw:${next()}`))!) as unknown;
    // Each group: the baseline, RedisStore against it with the target, and (not a target) what a
    // hand-written client pays for the JSON alone, which shows where the gap is.
    const groups = [
      {
        names: [`raw ioredis SET, ${bytes} B`, `RedisStore put('actors')`, 'raw ioredis SET of JSON.stringify(row)'],
        ops: [set(0), () => s.put('actors', rows[next()]!.actorId, rows[i]!), set(1)],
        baselineName: 'raw SET',
      },
      {
        names: [`raw ioredis GET, ${bytes} B`, `RedisStore get('actors')`, 'raw ioredis GET + JSON.parse'],
        ops: [() => r.get(`bench:raw:${next()}`), get, getParse],
        baselineName: 'raw GET',
      },
    ];
    for (const g of groups) {
      const specs = g.names.map((name, j) => ({
        name: `${name}, ${n} in flight`,
        unit: 'ops/s',
        opts: j === 0 ? {} : { baselineName: g.baselineName, ...(j === 1 ? { target } : {}) },
      }));
      await section(report, specs, limit * opts.rounds * g.ops.length, async () => {
        const [base, ...others] = await interleavedMedians(g.ops, opts.rounds, timing);
        return [{ value: base! }, ...others.map((value) => ({ value, baseline: base! }))];
      });
    }
    // Head recovery: kill -9 of a head holding 1,000 actors, a new head process on the same state.
    // Baseline: the floor any recovery pays, reading those 1,000 rows with raw ioredis and parsing them.
    const recoveryUrl = `${server.url.replace(/\/\d*$/, '')}/5`;
    await section(
      report,
      [
        { name: 'head recovery, new head process start → first status answered', unit: 'ms', opts: {} },
        {
          name: 'head recovery, new head process start → every node back, 1,000 actors listed once',
          unit: 'ms',
          opts: {
            baselineName: 'raw HGETALL + JSON.parse of the 1,000 rows',
            target: { on: 'value', op: '<=', threshold: 2000 },
          },
        },
      ],
      180_000,
      async () => {
        const rec = await measureRecovery(recoveryUrl, 1000);
        const reader = new Redis(recoveryUrl);
        try {
          const t0 = performance.now();
          const all = await reader.hgetall('troupe:{default}:actors');
          for (const v of Object.values(all)) JSON.parse(v);
          const rawMs = performance.now() - t0;
          if (Object.keys(all).length < 1000)
            throw new Error(`expected 1,000 stored actors, found ${Object.keys(all).length}`);
          return [{ value: rec.firstStatusMs }, { value: rec.recoveredMs, baseline: rawMs }];
        } finally {
          reader.disconnect();
        }
      },
    );
  } finally {
    raw?.disconnect();
    await store?.close();
    await server?.close();
  }
  report.print();
  return report.failed ? 1 : 0;
}

/**
 * Measures each op `rounds` times, rotating which goes first in each round so that drift in the
 * machine's load falls on all of them alike, and returns the median rate of each.
 */
async function interleavedMedians(
  ops: Array<() => Promise<unknown>>,
  rounds: number,
  timing: RateOptions,
): Promise<number[]> {
  const samples = ops.map(() => [] as number[]);
  for (let k = 0; k < rounds; k++) {
    for (let j = 0; j < ops.length; j++) {
      const which = (j + k) % ops.length;
      samples[which]!.push((await measureRate(ops[which]!, timing)).perSecond);
    }
  }
  return samples.map((s) => percentile(s, 50));
}
