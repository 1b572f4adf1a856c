/**
 * `npm run bench -- cluster [--rounds N]` (root, Linux network namespaces, openssh-server)
 *
 * A head and two workers, each in its own network namespace with its own sshd, on this machine:
 *   - `troupe cluster up` (SSH to three hosts, setup command, head, workers, until every node has
 *     joined), against starting the same processes by hand in the same namespaces (`troupe start
 *     --daemon` run directly with `ip netns exec`, workers in parallel, until every node has joined);
 *   - `troupe job submit --follow` to the job's first log line, against running the same driver by
 *     hand on the head host to its first line.
 * Medians over the rounds; the cluster is taken down between rounds.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../src/index.js';
import { ClusterLab, CLI_JS, troupe } from './lib/cluster-lab.js';
import { netnsUnavailable } from './lib/netns.js';
import { Report } from './lib/report.js';
import { int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';

const usage = 'usage: cluster [--rounds N (3)]';

function parseArgs(args: string[]): { rounds: number } {
  return parseFlags(args, { rounds: int(1, 3) }, usage);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Runs `argv` and resolves with the ms until a stdout line matches `re` (then lets it finish). */
function timeToLine(
  argv: string[],
  re: RegExp,
  env: Record<string, string> = {},
): Promise<{ ms: number; done: Promise<number> }> {
  const t0 = performance.now();
  const child = spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const done = new Promise<number>((r) => child.once('exit', (code) => r(code ?? 1)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (re.test(out)) resolve({ ms: performance.now() - t0, done });
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    void done.then((code) =>
      reject(new Error(`${argv.join(' ')} exited (${code}) before printing ${re}:\n${out}\n${err}`)),
    );
  });
}

async function waitJoined(address: string, token: string, nodes: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await connect({ address, token, headTimeoutMs: 2000 });
      try {
        for (;;) {
          if ((await c.status()).nodes.filter((n) => n.state === 'ALIVE').length >= nodes) return;
          if (Date.now() > deadline) throw new Error(`fewer than ${nodes} nodes joined ${address}`);
          await sleep(50);
        }
      } finally {
        await c.shutdown();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(50);
    }
  }
}

/** The baseline: the same daemons started by hand in the namespaces, until all joined. */
async function byHand(lab: ClusterLab, token: string): Promise<number> {
  const [head, ...workers] = lab.net.nodes;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-byhand-'));
  const run = (ns: string, tmp: string, args: string[]): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, CLI_JS(), 'start', '--daemon', ...args], {
        env: { ...process.env, TROUPE_TMPDIR: path.join(dir, tmp), TROUPE_TOKEN: token },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      child.once('exit', (code) =>
        code === 0 ? resolve() : reject(new Error(`troupe start in ${ns} failed: ${err}`)),
      );
    });
  const address = `${head!.ip}:7420`;
  try {
    const t0 = performance.now();
    await run(head!.ns, 'head', ['--head', '--host', head!.ip, '--port', '7420', '--num-cpus', '2']);
    await Promise.all(
      workers.map((w, i) => run(w.ns, `w${i}`, ['--address', address, '--host', w.ip, '--num-cpus', '2'])),
    );
    await waitJoined(address, token, lab.net.nodes.length);
    return performance.now() - t0;
  } finally {
    await Promise.all(
      ['head', ...workers.map((_, i) => `w${i}`)].map((t) =>
        troupe(['stop', '--grace-ms', '5000'], { TROUPE_TMPDIR: path.join(dir, t) }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  const report = new Report('cluster');
  const unavailable = netnsUnavailable();
  if (unavailable) {
    process.stderr.write(`cluster: ${unavailable}\n`);
    for (const name of ['cluster up', 'job submit to first log line']) report.fail(name, 'ms', new Error(unavailable));
    report.print();
    return 1;
  }
  const lab = await ClusterLab.start({ workers: 2, label: 'b' });
  const jobDir = mkdtempSync(path.join(os.tmpdir(), 'troupe-bench-job-'));
  writeFileSync(path.join(jobDir, 'main.mjs'), "console.log('first line from the driver');\n");
  try {
    await section(
      report,
      [
        {
          name: 'cluster up: head + 2 workers in network namespaces, over SSH, until every node joined',
          unit: 'ms',
          opts: { baselineName: 'same processes started by hand (ip netns exec troupe start --daemon), until joined' },
        },
        {
          name: 'job submit --follow to the first log line (pack, upload, supervisor, driver)',
          unit: 'ms',
          opts: { baselineName: 'the same driver started by hand on the head host, to its first line' },
        },
      ],
      30 * 60_000,
      async () => {
        const up: number[] = [];
        const hand: number[] = [];
        const job: number[] = [];
        const direct: number[] = [];
        for (let round = 0; round < opts.rounds; round++) {
          const token = `bench-token-${process.pid}-${round}-xxxxxxxx`;
          hand.push(await byHand(lab, token));
          const r = await troupe(['cluster', 'up', lab.file]);
          if (r.code !== 0) throw new Error(`cluster up failed:\n${r.stderr}`);
          up.push(r.ms);
          const clusterToken = (await troupe(['cluster', 'token', lab.file])).stdout.trim();
          const env = { TROUPE_ADDRESS: lab.headAddress, TROUPE_TOKEN: clusterToken };
          const submitted = await timeToLine(
            [
              process.execPath,
              CLI_JS(),
              'job',
              'submit',
              '--working-dir',
              jobDir,
              '--follow',
              '--',
              'node',
              'main.mjs',
            ],
            /first line from the driver/,
            env,
          );
          job.push(submitted.ms);
          await submitted.done;
          const d = await timeToLine(
            ['ip', 'netns', 'exec', lab.net.nodes[0]!.ns, process.execPath, path.join(jobDir, 'main.mjs')],
            /first line from the driver/,
          );
          direct.push(d.ms);
          await d.done;
          const down = await troupe(['cluster', 'down', lab.file]);
          if (down.code !== 0) throw new Error(`cluster down failed:\n${down.stdout}${down.stderr}`);
          process.stderr.write(
            `[bench] round ${round + 1}: up ${up.at(-1)!.toFixed(0)} ms (by hand ${hand.at(-1)!.toFixed(0)} ms), job ${job.at(-1)!.toFixed(0)} ms (direct ${direct.at(-1)!.toFixed(0)} ms), down ${down.ms.toFixed(0)} ms\n`,
          );
        }
        return [
          { value: median(up), baseline: median(hand) },
          { value: median(job), baseline: median(direct) },
        ];
      },
    );
  } finally {
    await troupe(['cluster', 'down', lab.file]).catch(() => undefined);
    await lab.destroy();
    rmSync(jobDir, { recursive: true, force: true });
  }
  report.print();
  return report.failed ? 1 : 0;
}
