/**
 * `npm run bench -- collective [--mib 1,16,64,256] [--runs N] [--ranks 2,4]`
 *
 * Ring allreduce (sum, Float32Array) over TcpPeerTransport with every rank in its own process, and
 * the baseline measured in the same run: raw TCP one-way between two processes (a child writes
 * 256 MiB in 1 MiB writes to a plain socket, this process counts the bytes). For each group size and
 * array size: algbw = bytes / time and busbw = algbw × 2(n−1)/n (nccl-tests' definition), each the
 * best of `--runs` timed allreduces (an iteration's time is the slowest rank's, after a barrier);
 * each rank reduces out of place into one output array it allocated once, like nccl-tests;
 * busbw carries its ratio to raw TCP, target ≥ 0.5x from 16 MiB. GB/s is 10^9 bytes/s.
 *
 * This module is also the child: `collective.js --child raw-tcp MIB` or `--child rank RANK SIZE`.
 * A rank child prints its address, reads every rank's addresses (JSON) on stdin, connects, prints
 * `ready`, then answers each `run MIB RUNS` line on stdin with a JSON line of its per-run times.
 */
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { allreduce, barrier, TcpPeerTransport } from '../src/collective/index.js';
import { MiB, gbps, rawTcpOnce, serveRawTcp } from './raw/tcp.js';
import { exitWhenParentGone, startChild, type Child } from './lib/children.js';
import { Report } from './lib/report.js';
import { int, ints, parseFlags } from './lib/flags.js';
import { section, type RowSpec } from './lib/sections.js';
import { comparePeer } from './lib/peers.js';

const TOKEN = 'bench-collective-token';
const RAW_MIB = 256;
const usage = 'usage: collective [--mib LIST (1,16,64,256)] [--runs N (3)] [--ranks LIST (2,4)]';

/** The busbw row of n ranks and m MiB, which --peers sets Gloo's figure beside. */
const busbwRow = (n: number, m: number, runs: number) => `allreduce n=${n}, ${m} MiB f32, busbw, best of ${runs}`;

interface Options {
  mib: number[];
  runs: number;
  ranks: number[];
}

function parseArgs(args: string[]): Options {
  return parseFlags(args, { mib: ints(1, [1, 16, 64, 256]), runs: int(1, 3), ranks: ints(2, [2, 4]) }, usage);
}

function spawn(mode: string, args: string[]): Child {
  return startChild(new URL(import.meta.url), ['--child', mode, ...args], { COLLECTIVE_TOKEN: TOKEN });
}

/** Starts `n` rank processes and connects them; resolves with the children, ready for `run`. */
async function startGroup(n: number): Promise<Child[]> {
  const children = Array.from({ length: n }, (_, r) => spawn('rank', [String(r), String(n)]));
  try {
    const addresses = await Promise.all(children.map((c) => c.nextLine(60_000)));
    for (const c of children) c.proc.stdin!.write(`${JSON.stringify(addresses)}\n`);
    const ready = await Promise.all(children.map((c) => c.nextLine(60_000)));
    if (ready.some((l) => l !== 'ready')) throw new Error(`ranks did not connect: ${ready.join(' | ')}`);
    return children;
  } catch (err) {
    await Promise.all(children.map((c) => c.stop()));
    throw err;
  }
}

/** Best over runs of the slowest rank's time for one allreduce of `mib` MiB, in ms. */
async function timeAllreduce(children: Child[], mib: number, runs: number): Promise<number> {
  for (const c of children) c.proc.stdin!.write(`run ${mib} ${runs}\n`);
  const lines = await Promise.all(children.map((c) => c.nextLine(300_000)));
  const times = lines.map((l) => {
    const parsed = JSON.parse(l) as { ms?: number[]; error?: string };
    if (parsed.error !== undefined || !parsed.ms) throw new Error(`rank failed: ${parsed.error ?? l}`);
    return parsed.ms;
  });
  let best = Infinity;
  for (let i = 0; i < runs; i++) best = Math.min(best, Math.max(...times.map((t) => t[i]!)));
  return best;
}

/** Runs the benchmark; resolves with the process exit code. */
export async function run(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  const report = new Report('collective');
  const baseName = 'raw TCP';

  const [raw] = await section(
    report,
    [{ name: `raw TCP one-way between processes, ${RAW_MIB} MiB in 1 MiB writes, best of ${opts.runs}`, unit: 'GB/s' }],
    120_000,
    async () => {
      const child = spawn('raw-tcp', [String(RAW_MIB)]);
      try {
        const port = Number(await child.nextLine(60_000));
        let best = 0;
        for (let i = 0; i < opts.runs; i++) best = Math.max(best, await rawTcpOnce(port, RAW_MIB));
        return [{ value: best }];
      } finally {
        await child.stop();
      }
    },
  );

  for (const n of opts.ranks) {
    const factor = (2 * (n - 1)) / n;
    const rows: RowSpec[] = [];
    for (const m of opts.mib) {
      rows.push({ name: `allreduce n=${n}, ${m} MiB f32, algbw, best of ${opts.runs}`, unit: 'GB/s' });
      rows.push({
        name: busbwRow(n, m, opts.runs),
        unit: 'GB/s',
        opts: {
          baselineName: baseName,
          ...(m >= 16 ? { target: { on: 'ratio', op: '>=', threshold: 0.5 } as const } : {}),
        },
      });
    }
    await section(report, rows, 600_000, async () => {
      const children = await startGroup(n);
      try {
        const out = [];
        for (const m of opts.mib) {
          const ms = await timeAllreduce(children, m, opts.runs);
          const alg = gbps(m * MiB, ms);
          out.push({ value: alg }, { value: alg * factor, baseline: raw });
        }
        return out;
      } finally {
        await Promise.all(children.map((c) => c.stop()));
      }
    });
  }

  const key = (n: number, m: number) => `n=${n},m=${m}`;
  await comparePeer(report, {
    peer: 'torch',
    script: 'torch_gloo.py',
    params: { ranks: opts.ranks, mib: opts.mib, runs: opts.runs },
    timeoutMs: 600_000,
    rows: opts.ranks.flatMap((n) =>
      opts.mib.map((m) => ({
        what: `gloo allreduce n=${n}, ${m} MiB f32, busbw, best of ${opts.runs}`,
        unit: 'GB/s',
        troupeRow: busbwRow(n, m, opts.runs),
        peer: (o: Record<string, unknown>) => (o[key(n, m)] as { busbw?: number } | undefined)?.busbw,
      })),
    ),
  });
  report.print();
  return report.failed ? 1 : 0;
}

async function rankMain(rank: number, size: number): Promise<void> {
  const t = await TcpPeerTransport.create({ rank, size, token: process.env.COLLECTIVE_TOKEN ?? '' });
  process.stdout.write(`${t.address}\n`);
  const lines = createInterface({ input: process.stdin });
  let connected = false;
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      if (!connected) {
        await t.connect(JSON.parse(line) as string[], { timeoutMs: 30_000 });
        connected = true;
        process.stdout.write('ready\n');
        return;
      }
      const [cmd, mibText, runsText] = line.split(' ');
      if (cmd !== 'run') throw new Error(`unknown command ${line}`);
      const length = (Number(mibText) * MiB) / 4;
      const data = new Float32Array(length);
      for (let i = 0; i < length; i++) data[i] = (rank + i) % 17;
      // Out of place into an output allocated once, as nccl-tests does with its recvbuff.
      const out = new Float32Array(length);
      const opts = { timeoutMs: 120_000, out };
      try {
        await allreduce(t, data, opts); // warm-up
        const ms: number[] = [];
        for (let i = 0; i < Number(runsText); i++) {
          await barrier(t, opts);
          const start = performance.now();
          await allreduce(t, data, opts);
          ms.push(performance.now() - start);
        }
        process.stdout.write(`${JSON.stringify({ ms })}\n`);
      } catch (err) {
        process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
      }
    });
    queue.catch((err: unknown) => {
      process.stderr.write(
        `collective rank ${rank}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exit(1);
    });
  });
  lines.on('close', () => {
    void t.close().finally(() => process.exit(0));
  });
}

/** The child side: `--child raw-tcp MIB` or `--child rank RANK SIZE`. */
async function childMain(mode: string | undefined, rest: string[]): Promise<void> {
  switch (mode) {
    case 'raw-tcp': {
      exitWhenParentGone();
      serveRawTcp(Number(rest[0]));
      return;
    }
    case 'rank':
      await rankMain(Number(rest[0]), Number(rest[1]));
      return;
    default:
      throw new Error(`unknown child mode ${mode}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  childMain(process.argv[3], process.argv.slice(4)).catch((err: unknown) => {
    process.stderr.write(`collective child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
