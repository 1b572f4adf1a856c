/** Runs `npm ci --omit=dev` for a job, its output going to the job's log, and says why it failed. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from '../common/index.js';

/** How much of npm's output a failure's message quotes (the job's log has all of it). */
const TAIL_CHARS = 1500;
export const NPM_CI_ARGS = ['ci', '--omit=dev', '--no-audit', '--no-fund', '--no-update-notifier'];

/**
 * npm as installed with the Node that runs this process, run by that Node (so native modules build
 * for the driver's Node); `npm` on the PATH otherwise.
 */
function npmCommand(): { file: string; args: string[] } {
  const dir = path.dirname(process.execPath);
  for (const cli of [
    path.join(dir, '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    path.join(dir, 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ]) {
    if (existsSync(cli)) return { file: process.execPath, args: [cli] };
  }
  return { file: 'npm', args: [] };
}

export interface NpmCiOptions {
  cwd: string;
  env: Record<string, string>;
  /** Each piece of npm's output, as it comes. */
  output: (data: Buffer) => void;
  signal?: AbortSignal;
  /** The lock file's name, for messages. */
  lockName: string;
}

const stopped = (lockName: string): InvalidArgumentError =>
  new InvalidArgumentError(`installing the job's dependencies from ${lockName} was stopped with the job`, {
    context: { field: lockName },
  });

/** @throws InvalidArgumentError naming npm's exit and quoting the end of its output. */
export function npmCi(o: NpmCiOptions): Promise<void> {
  const npm = npmCommand();
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(stopped(o.lockName));
    let tail = '';
    // Its own process group: a stop ends the install scripts npm started too, not just npm.
    const child = spawn(npm.file, [...npm.args, ...NPM_CI_ARGS], {
      cwd: o.cwd,
      env: { ...o.env, npm_config_update_notifier: 'false', npm_config_progress: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const kill = (): void => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      kill();
      reject(stopped(o.lockName));
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const onData = (d: Buffer): void => {
      o.output(d);
      tail = (tail + d.toString('utf8')).slice(-TAIL_CHARS);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const fail = (why: string): void =>
      reject(
        new InvalidArgumentError(
          `installing the job's dependencies from ${o.lockName} failed: ${why}` +
            (tail.trim() ? `; the end of its output:\n${tail.trimEnd()}` : ''),
          { context: { field: o.lockName } },
        ),
      );
    child.once('error', (err: NodeJS.ErrnoException) =>
      fail(`cannot run npm (${err.code === 'ENOENT' ? 'not found on the PATH' : err.message})`),
    );
    child.once('close', (code, signal) => {
      o.signal?.removeEventListener('abort', onAbort);
      kill(); // whatever npm left running
      if (code === 0) resolve();
      else fail(`npm ${NPM_CI_ARGS.join(' ')} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`);
    });
  });
}
