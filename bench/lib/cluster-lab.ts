/**
 * Machines for `troupe cluster` tests and the cluster benchmark, all on this host: a network
 * namespace per node (head, workers) on a bridge, an sshd inside each listening on the node's own
 * address, SSH keys, and a cluster.yaml that points `install_dir` at this checkout. Root only.
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NetnsLab } from './netns.js';
import { makeKeys, startSshd, type Sshd, type SshKeys } from './sshd.js';

/** The checkout this file belongs to (from bench/lib or dist/bench/lib). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'proto', 'troupe')) && dir !== '/') dir = path.dirname(dir);
  return dir;
}

export const CLI_JS = (): string => path.join(repoRoot(), 'dist/src/cli/main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built `troupe` CLI to its end. */
export function troupe(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI_JS(), ...args],
      {
        env: { ...process.env, TROUPE_ADDRESS: '', TROUPE_TOKEN: '', ...env },
        timeout: timeoutMs,
        maxBuffer: 16 << 20,
      },
      (err, stdout, stderr) =>
        resolve({
          code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0,
          stdout,
          stderr,
          ms: performance.now() - t0,
        }),
    );
  });
}

export interface LabOptions {
  workers: number;
  /** CPUs each node offers. Default 2. */
  numCpus?: number;
  headWorker?: boolean;
  heartbeatPeriodMs?: number;
  heartbeatTimeoutMs?: number;
  label?: string;
}

export class ClusterLab {
  readonly file: string;
  readonly yaml: string;

  private constructor(
    readonly net: NetnsLab,
    readonly keys: SshKeys,
    readonly sshds: Sshd[],
    readonly name: string,
    options: LabOptions,
  ) {
    const [head, ...workers] = net.nodes;
    const cpus = options.numCpus ?? 2;
    this.yaml = [
      `cluster_name: ${name}`,
      'ssh:',
      `  user: ${process.env.USER || 'root'}`,
      `  private_key: ${keys.userKey}`,
      '  connect_timeout_s: 3',
      `known_hosts: ${path.join(keys.dir, 'known_hosts')}`,
      `install_dir: ${repoRoot()}`,
      `node: ${process.execPath}`,
      `runtime_dir: ${path.join(keys.dir, 'runtime')}`,
      'setup_commands:',
      '  - test -x "$(command -v sh)"',
      ...(options.heartbeatPeriodMs ? [`heartbeat_period_ms: ${options.heartbeatPeriodMs}`] : []),
      ...(options.heartbeatTimeoutMs ? [`heartbeat_timeout_ms: ${options.heartbeatTimeoutMs}`] : []),
      'head:',
      `  host: ${head!.ip}`,
      `  worker: ${options.headWorker ?? true}`,
      // The drivers of the lab's tests run under vitest, whose own `--require …` their actors inherit.
      '  allow_exec_argv: true',
      `  num_cpus: ${cpus}`,
      'workers:',
      ...workers.map((w) => `  - {host: ${w.ip}, num_cpus: ${cpus}}`),
      '',
    ].join('\n');
    this.file = path.join(keys.dir, 'cluster.yaml');
    writeFileSync(this.file, this.yaml);
  }

  static async start(options: LabOptions): Promise<ClusterLab> {
    const net = new NetnsLab(options.workers + 1, options.label ?? 'c');
    const keys = makeKeys();
    const sshds: Sshd[] = [];
    try {
      for (const n of net.nodes) sshds.push(await startSshd(keys, { host: n.ip, port: 22, netns: n.ns }));
      return new ClusterLab(net, keys, sshds, `lab${process.pid}`, options);
    } catch (err) {
      await Promise.allSettled(sshds.map((s) => s.stop()));
      net.destroy();
      rmSync(keys.dir, { recursive: true, force: true });
      throw err;
    }
  }

  get headAddress(): string {
    return `${this.net.nodes[0]!.ip}:7420`;
  }

  /** Removes everything: daemons and sshds inside the namespaces die with them. */
  async destroy(): Promise<void> {
    await Promise.allSettled(this.sshds.map((s) => s.stop()));
    this.net.destroy();
    rmSync(this.keys.dir, { recursive: true, force: true });
  }
}
