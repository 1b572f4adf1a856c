/**
 * SSH to the cluster's hosts with `ssh2`: one connection per host, commands with their exit
 * status and output, and errors that name the host and say what to check. Host keys are trusted
 * on first use and remembered in a known_hosts file (OpenSSH's line format); a changed key is refused.
 */
import { mkdirSync, readFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { Client, type ClientChannel } from 'ssh2';
import { InvalidArgumentError, TimeoutError, UnauthenticatedError, UnavailableError } from '../common/index.js';
import type { SshTarget } from './config.js';

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

const label = (t: SshTarget): string => `${t.user}@${t.host}:${t.port}`;

/** Known host keys: `[host]:port type base64` lines, as OpenSSH writes them. */
class KnownHosts {
  constructor(private readonly file: string) {}

  private entry(t: SshTarget): string {
    return t.port === 22 ? t.host : `[${t.host}]:${t.port}`;
  }

  /** True when the key is the known one or new (then it is remembered); false when it changed. */
  check(t: SshTarget, key: Buffer): { ok: true } | { ok: false; known: string } {
    const type = keyType(key);
    const b64 = key.toString('base64');
    const name = this.entry(t);
    let lines: string[] = [];
    try {
      lines = readFileSync(this.file, 'utf8').split('\n');
    } catch {
      // no file yet
    }
    for (const line of lines) {
      const [hosts, ktype, kdata] = line.trim().split(/\s+/);
      if (!hosts || !ktype || !kdata || !hosts.split(',').includes(name) || ktype !== type) continue;
      return kdata === b64 ? { ok: true } : { ok: false, known: `${ktype} ${kdata.slice(0, 24)}...` };
    }
    mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, `${name} ${type} ${b64}\n`, { mode: 0o600 });
    return { ok: true };
  }
}

function keyType(blob: Buffer): string {
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** Single-quotes a word for a POSIX shell. */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class SshHost {
  private constructor(
    readonly target: SshTarget,
    private readonly conn: Client,
  ) {}

  get label(): string {
    return label(this.target);
  }

  /** Connects and authenticates with the target's private key; errors name the host and the cause. */
  static connect(target: SshTarget, knownHostsFile: string): Promise<SshHost> {
    let privateKey: Buffer;
    try {
      privateKey = readFileSync(target.privateKey);
    } catch (err) {
      return Promise.reject(
        new InvalidArgumentError(
          `cannot read the SSH private key ${target.privateKey} for ${label(target)}: ${(err as Error).message}`,
          { context: { field: 'ssh.private_key', host: target.host } },
        ),
      );
    }
    const known = new KnownHosts(knownHostsFile);
    let keyChanged: string | undefined;
    return new Promise((resolve, reject) => {
      const conn = new Client();
      conn.once('ready', () => resolve(new SshHost(target, conn)));
      conn.once('error', (err: Error & { level?: string; code?: string }) => {
        conn.end();
        const ctx = { context: { host: target.host, field: 'ssh' }, cause: err };
        if (keyChanged) {
          reject(
            new UnauthenticatedError(
              `the SSH host key of ${label(target)} is not the one recorded in ${knownHostsFile} (${keyChanged}); if the machine was reinstalled, remove its line there`,
              ctx,
            ),
          );
        } else if (err.level === 'client-authentication') {
          reject(
            new UnauthenticatedError(
              `${label(target)} refused the SSH key ${target.privateKey} (user ${target.user}); check that its public key is in ~${target.user}/.ssh/authorized_keys there`,
              ctx,
            ),
          );
        } else if (err.level === 'client-timeout') {
          reject(
            new TimeoutError(
              `cannot reach ${label(target)} over SSH: no handshake within ${target.connectTimeoutMs / 1000} s; check the host, port and firewall`,
              ctx,
            ),
          );
        } else if (err.message.includes('parse privateKey') || err.message.includes('privateKey')) {
          reject(
            new InvalidArgumentError(
              `the SSH private key ${target.privateKey} cannot be used for ${label(target)}: ${err.message}`,
              ctx,
            ),
          );
        } else {
          reject(
            new UnavailableError(
              `cannot reach ${label(target)} over SSH: ${err.code ?? err.message}${err.code ? ` (${err.message})` : ''}; check the host, port and that sshd runs there`,
              ctx,
            ),
          );
        }
      });
      conn.connect({
        host: target.host,
        port: target.port,
        username: target.user,
        privateKey,
        readyTimeout: target.connectTimeoutMs,
        keepaliveInterval: 5000,
        hostVerifier: (key: Buffer) => {
          const r = known.check(target, key);
          if (!r.ok) keyChanged = r.known;
          return r.ok;
        },
      });
    });
  }

  /** Runs `command` with `sh -c` on the host; `stdin` is written to it first. */
  exec(command: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      this.conn.exec(command, (err: Error | undefined, stream: ClientChannel) => {
        if (err)
          return reject(
            new UnavailableError(`${this.label}: could not run a command over SSH: ${err.message}`, {
              context: { host: this.target.host },
            }),
          );
        let stdout = '';
        let stderr = '';
        const timer = setTimeout(() => {
          stream.close();
          reject(
            new TimeoutError(
              `${this.label}: a command did not finish within ${(options.timeoutMs ?? 120_000) / 1000} s: ${command.slice(0, 200)}`,
              { context: { host: this.target.host } },
            ),
          );
        }, options.timeoutMs ?? 120_000);
        stream.on('data', (d: Buffer) => (stdout += d.toString()));
        stream.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        stream.once('close', (code: number | null, signal?: string) => {
          clearTimeout(timer);
          resolve({ code: code ?? (signal ? 128 : 255), stdout, stderr });
        });
        stream.end(options.stdin ?? '');
      });
    });
  }

  /** Like exec, but a non-zero exit is an error naming the host, the step and the output's tail. */
  async run(step: string, command: string, options: { stdin?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    const r = await this.exec(command, options);
    if (r.code !== 0) {
      const tail = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-12).join('\n    ');
      throw new RemoteCommandError(
        `${this.target.host}: ${step} failed (exit ${r.code})${tail ? `:\n    ${tail}` : ''}`,
        { context: { host: this.target.host, step } },
      );
    }
    return r;
  }

  close(): void {
    this.conn.end();
  }
}

/** A command on a cluster host exited non-zero. */
export class RemoteCommandError extends UnavailableError {}
