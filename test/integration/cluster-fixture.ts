/**
 * A cluster of real processes on loopback for tests: a head and worker agents, each started with
 * the `troupe` CLI from the TypeScript sources, on ports the OS chooses.
 *
 *   await using cluster = await startTestCluster({ workers: [{ numCpus: 2 }, { numCpus: 2 }] });
 *   const driver = await cluster.connect();
 *   await cluster.killNode(1);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Cluster } from '../../src/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'src/cli/main.ts');

export interface WorkerSpec {
  numCpus?: number;
  numGpus?: number;
  resources?: Record<string, number>;
  warmPool?: number;
}

export interface NodeProcess {
  child: ChildProcess;
  nodeId: string;
  output: () => string;
}

/** Runs the CLI from sources (tsx) with this cluster's private TROUPE_TMPDIR. */
export function runCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, TROUPE_ADDRESS: '', TROUPE_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with the first match of `re` in the child's stdout, or rejects when it exits first. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 30_000): Promise<{ match: RegExpMatchArray; output: () => string }> {
  let out = '';
  const output = (): string => out;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output:\n${out}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = re.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ match: m, output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`process exited (${signal ?? code}) before printing ${re}; output:\n${out}`));
    });
  });
}

export function runCliToEnd(args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = runCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`troupe ${args.join(' ')} did not finish within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export class TestCluster {
  readonly workers: NodeProcess[] = [];
  private readonly drivers: Cluster[] = [];

  constructor(
    readonly address: string,
    readonly token: string,
    public head: ChildProcess,
    readonly tmpdir: string,
    private readonly headArgs: string[] = [],
  ) {}

  /** Kills the head process (SIGKILL by default: a crash, nothing flushed). */
  async killHead(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.head.exitCode !== null || this.head.signalCode !== null) return;
    const exited = new Promise((r) => this.head.once('exit', r));
    this.head.kill(signal);
    await exited;
  }

  /** Starts the head again on the same address with the same flags (and so the same --state). */
  async restartHead(): Promise<number> {
    const port = this.address.split(':').pop()!;
    const args = this.headArgs.map((a, i) => (this.headArgs[i - 1] === '--port' ? port : a));
    const t0 = performance.now();
    this.head = runCli(args, this.env);
    await waitForLine(this.head, /Troupe head started at (\S+)/);
    return performance.now() - t0;
  }

  get env(): Record<string, string> {
    return { TROUPE_TMPDIR: this.tmpdir };
  }

  /** Starts one more worker agent process; resolves when it has joined. */
  async addNode(spec: WorkerSpec = {}): Promise<NodeProcess> {
    const node = await this.launch(spec);
    this.workers.push(node);
    return node;
  }

  /** Starts a worker without recording it (startTestCluster keeps the order it was given). */
  async launch(spec: WorkerSpec): Promise<NodeProcess> {
    const args = ['start', '--address', this.address, '--token', this.token, '--warm-pool', String(spec.warmPool ?? 1)];
    if (spec.numCpus !== undefined) args.push('--num-cpus', String(spec.numCpus));
    if (spec.numGpus !== undefined) args.push('--num-gpus', String(spec.numGpus));
    if (spec.resources) args.push('--resources', JSON.stringify(spec.resources));
    const child = runCli(args, this.env);
    try {
      const { match, output } = await waitForLine(child, /Troupe worker (node-[0-9a-f]+) joined/);
      return { child, nodeId: match[1]!, output };
    } catch (err) {
      // A worker that never joined is nobody's to stop later: stop it now.
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** Kills worker `i` (SIGKILL by default: a machine that vanishes). */
  async killNode(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const node = this.workers[i]!;
    if (node.child.exitCode !== null || node.child.signalCode !== null) return;
    const exited = new Promise((r) => node.child.once('exit', r));
    node.child.kill(signal);
    await exited;
  }

  /** A driver connected to this cluster; shut down with the cluster. */
  async connect(namespace?: string): Promise<Cluster> {
    const c = await connect({ address: this.address, token: this.token, namespace });
    this.drivers.push(c);
    return c;
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.drivers.map((d) => d.shutdown()));
    const all = [...this.workers.map((w) => w.child), this.head];
    await Promise.all(
      all.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    rmSync(this.tmpdir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

export interface TestClusterOptions {
  workers?: WorkerSpec[];
  heartbeatPeriodMs?: number;
  heartbeatTimeoutMs?: number;
  maxMessageBytes?: number;
  /** `--state` of the head (a Redis URL for fault-tolerance tests). */
  state?: string;
}

/** Starts a head (no local worker) and the given workers as separate processes. */
export async function startTestCluster(options: TestClusterOptions = {}): Promise<TestCluster> {
  const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'troupe-test-'));
  const token = `test-token-${process.pid}-${Date.now()}`;
  const args = ['start', '--head', '--port', '0', '--no-worker', '--token', token];
  if (options.heartbeatPeriodMs) args.push('--heartbeat-period-ms', String(options.heartbeatPeriodMs));
  if (options.heartbeatTimeoutMs) args.push('--heartbeat-timeout-ms', String(options.heartbeatTimeoutMs));
  if (options.maxMessageBytes) args.push('--max-message-bytes', String(options.maxMessageBytes));
  if (options.state) args.push('--state', options.state);
  const head = runCli(args, { TROUPE_TMPDIR: tmpdir });
  const { match } = await waitForLine(head, /Troupe head started at (\S+)/);
  const cluster = new TestCluster(match[1]!, token, head, tmpdir, args);
  try {
    const started = await Promise.allSettled((options.workers ?? [{}, {}]).map((w) => cluster.launch(w)));
    for (const r of started) if (r.status === 'fulfilled') cluster.workers.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
