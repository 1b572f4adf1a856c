/**
 * A throwaway OpenSSH server for tests and benchmarks: its own host key, a generated user key in
 * its authorized_keys, its own sshd_config, run in the foreground (`-D`) on a free port, optionally
 * inside a network namespace. Needs root (it logs in as the current user) and Debian's openssh-server.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const SSHD = '/usr/sbin/sshd';

/** True when sshd and ssh-keygen are there as programs this process may run (not merely a path). */
export function hasSshd(): boolean {
  return [SSHD, '/usr/bin/ssh-keygen'].every(runnable);
}

function runnable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Keys shared by several servers: one user key that all of them accept. */
export interface SshKeys {
  dir: string;
  /** Private key of the user key. */
  userKey: string;
  /** A key no server accepts. */
  strangerKey: string;
  authorizedKeys: string;
}

export function makeKeys(): SshKeys {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-ssh-'));
  const gen = (name: string): string => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
    return file;
  };
  const userKey = gen('user_key');
  const strangerKey = gen('stranger_key');
  gen('host_key');
  const authorizedKeys = path.join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${userKey}.pub`), { mode: 0o600 });
  return { dir, userKey, strangerKey, authorizedKeys };
}

export interface Sshd {
  host: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts sshd on host:port (inside `netns` when given) and resolves once it accepts connections. */
export async function startSshd(
  keys: SshKeys,
  options: { host?: string; port?: number; netns?: string } = {},
): Promise<Sshd> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? (await freePort(host));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = path.join(keys.dir, `sshd_config-${host}-${port}`);
  writeFileSync(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${host}`,
      `HostKey ${path.join(keys.dir, 'host_key')}`,
      `AuthorizedKeysFile ${keys.authorizedKeys}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${path.join(keys.dir, `sshd-${host}-${port}.pid`)}`,
      'LogLevel ERROR',
      'MaxStartups 50',
      'MaxSessions 50',
      '',
    ].join('\n'),
  );
  const argv = [SSHD, '-D', '-e', '-f', config];
  const child = options.netns
    ? spawn('ip', ['netns', 'exec', options.netns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sshd exited (${child.exitCode}): ${stderr}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sshd did not listen on ${host}:${port} within 10 s: ${stderr}`);
    }
    await sleep(50);
  }
  return {
    host,
    port,
    child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export function removeKeys(keys: SshKeys): void {
  rmSync(keys.dir, { recursive: true, force: true });
}
