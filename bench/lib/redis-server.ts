/**
 * A throwaway local `redis-server` on a free loopback port, with persistence off and its files in
 * a temporary folder. Used by `bench/state.ts` and by the Redis test harness. The server is killed
 * when this process exits; `stop()`/`start()` take it away and bring it back on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LocalRedis {
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL); `start()` brings it back on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server for good and removes its folder. */
  close(): Promise<void>;
}

export interface LocalRedisOptions {
  /** Extra `redis-server` arguments, e.g. `['--requirepass', 'secret']`. */
  args?: string[];
  /** The executable. Default: `redis-server` found on PATH. */
  executable?: string;
  /** Run a Sentinel (`redis-server sentinel.conf --sentinel`) that monitors this master instead. */
  sentinel?: { masterPort: number; masterName: string };
}

const live = new Set<ChildProcess>();
let hooked = false;

/** The path of `redis-server` on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir || '.', 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export async function startLocalRedis(options: LocalRedisOptions = {}): Promise<LocalRedis> {
  const executable = options.executable ?? findRedisServer();
  if (!executable) throw new Error('redis-server is not on PATH (Debian: apt-get install redis-server)');
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-redis-'));
  let port = 0;
  let proc: ChildProcess | undefined;
  const launch = async () => {
    let args = options.args ?? [];
    if (options.sentinel) {
      // Sentinel rewrites its config file, so it gets one of its own in the folder.
      const conf = path.join(dir, 'sentinel.conf');
      const { masterPort, masterName } = options.sentinel;
      writeFileSync(conf, `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1\n`);
      args = [conf, '--sentinel', ...args];
    }
    proc = await spawnRedis(executable, port, dir, args);
  };
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (p) await kill(p);
  };
  // A port found free can be taken before redis-server binds it: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (err) {
      if (attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start: async () => {
      if (!proc) await launch();
    },
    restart: async () => {
      await stop();
      await launch();
    },
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function spawnRedis(executable: string, port: number, dir: string, extra: string[]): Promise<ChildProcess> {
  hookExit();
  // A config file, if any, must come first; the options after it override it.
  const conf = extra[0] !== undefined && !extra[0].startsWith('--') ? [extra[0]] : [];
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
  ];
  const proc = spawn(executable, [...conf, ...args, ...extra.slice(conf.length)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-2000);
  };
  proc.stdout!.on('data', collect);
  proc.stderr!.on('data', collect);
  let exited = false;
  proc.once('exit', () => {
    exited = true;
    live.delete(proc);
  });
  const deadline = Date.now() + 10_000;
  while (!(await answersPing(port))) {
    if (exited || Date.now() > deadline) {
      await kill(proc);
      throw new Error(`redis-server on port ${port} did not start: ${output.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await sleep(25);
  }
  return proc;
}

/** True when something on the port answers an inline PING (a password-protected server answers too). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
  });
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}
