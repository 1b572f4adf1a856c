import { fork, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, fstatSync, readSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnavailableError, errorFromInfo, type DeathCause } from '../common/index.js';
import type { AgentToHost, HostToAgent } from './host-ipc.js';

const SELF = fileURLToPath(import.meta.url);
/** True when running from TypeScript sources (tests, tsx): children need the same loader. */
export const RUNNING_FROM_SOURCE = SELF.endsWith('.ts');
const HOST_ENTRY = path.join(path.dirname(SELF), RUNNING_FROM_SOURCE ? 'actor-host-main.ts' : 'actor-host-main.js');

export interface HostProcessOptions {
  token: string;
  /** host:port of the head, for the cluster handles of the actors here. */
  headAddress: string;
  bindHost: string;
  logDir: string;
  maxMessageBytes: number;
  execArgv: string[];
  env?: Record<string, string>;
  /** Asks the head how many actors exist (0 when it cannot say), for a host's `count-actors`. */
  countActors?: () => Promise<number>;
}

export type HostExit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * Loader flags for a host process: the driver's own (`driverArgv`), plus tsx when running from
 * sources or loading a .ts module and the driver's flags do not load it already (a driver under a
 * test runner has flags of its own, without tsx, yet the host entry and .ts modules need it).
 */
export function hostExecArgv(modules: string[] = [], driverArgv: string[] = []): string[] {
  const needsTs = RUNNING_FROM_SOURCE || modules.some((m) => /\.[cm]?ts$/.test(m));
  const hasTs = driverArgv.some((a) => /(^|[=/\\])tsx([/\\]|$)/.test(a));
  return needsTs && !hasTs ? ['--import', 'tsx', ...driverArgv] : [...driverArgv];
}

let nextHostNo = 0;

/** One forked actor host process, from fork to exit. */
export class HostProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<number>;
  readonly exited: Promise<HostExit>;
  port = 0;
  exit: HostExit | undefined;
  /** Where the process's stdout, stderr and log lines go. */
  readonly logFile: string;
  /** Actor ids living here; killed ones are remembered so their exit is reported as such. */
  readonly actors = new Set<string>();
  readonly killedByUser = new Set<string>();
  private reqNo = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  constructor(
    readonly options: HostProcessOptions,
    readonly shared: boolean,
  ) {
    const logFile = path.join(options.logDir, `actor-host-${process.pid}-${nextHostNo++}.log`);
    this.logFile = logFile;
    const out = openSync(logFile, 'a');
    this.child = fork(HOST_ENTRY, [], {
      execArgv: options.execArgv,
      serialization: 'advanced',
      stdio: ['ignore', out, out, 'ipc'],
      env: {
        ...withoutCredentials(process.env),
        GLIBC_TUNABLES: hugePageTunables(process.env.GLIBC_TUNABLES),
        ...options.env,
        TROUPE_BIND_HOST: options.bindHost,
        TROUPE_MAX_MESSAGE_BYTES: String(options.maxMessageBytes),
        TROUPE_LOG_FILE: logFile,
      },
    });
    closeSync(out);
    // The token goes over the IPC channel, first of all messages: an environment stays readable
    // in /proc/<pid>/environ for the process's whole life, whatever process.env says later.
    this.child.send({ type: 'init', token: options.token, headAddress: options.headAddress } satisfies AgentToHost);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        const err = new UnavailableError(`actor host process ${this.child.pid} exited (${describeExit(this.exit)})`);
        for (const w of this.waiting.values()) w.reject(err);
        this.waiting.clear();
        resolve(this.exit);
      });
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (msg: HostToAgent): void => {
        if (msg.type === 'ready') {
          this.port = msg.port;
          resolve(msg.port);
        }
      };
      this.child.on('message', onMessage);
      this.exited.then((exit) =>
        reject(
          new UnavailableError(`actor host process exited before it was ready (${describeExit(exit)}); see ${logFile}`),
        ),
      );
    });
    this.ready.catch(() => undefined);
    this.child.on('message', (msg: HostToAgent) => {
      if (msg.type === 'count-actors') {
        const { reqId } = msg;
        void (options.countActors?.() ?? Promise.resolve(0))
          .catch(() => 0)
          .then((count) => this.actorCount(count, reqId));
        return;
      }
      if (msg.type === 'created' || msg.type === 'create-failed') {
        const w = this.waiting.get(msg.reqId);
        if (!w) return;
        this.waiting.delete(msg.reqId);
        if (msg.type === 'created') w.resolve();
        else w.reject(errorFromInfo(msg.error));
      }
    });
    this.child.on('error', () => undefined);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  create(msg: Omit<Extract<AgentToHost, { type: 'create' }>, 'type' | 'reqId'>): Promise<void> {
    const reqId = ++this.reqNo;
    return new Promise((resolve, reject) => {
      if (!this.alive) {
        reject(new UnavailableError('actor host process is not running'));
        return;
      }
      this.waiting.set(reqId, { resolve, reject });
      this.child.send({ type: 'create', reqId, ...msg } satisfies AgentToHost);
    });
  }

  destroy(actorId: string, cause: DeathCause): void {
    if (this.alive && this.child.connected)
      this.child.send({ type: 'destroy', actorId, cause: JSON.stringify(cause) } satisfies AgentToHost);
  }

  tick(silenceMs: number): void {
    if (this.alive && this.child.connected) this.child.send({ type: 'tick', silenceMs } satisfies AgentToHost);
  }

  /** Tells the process how many actors the cluster has (`reqId`: the `count-actors` it answers). */
  actorCount(count: number, reqId?: number): void {
    if (this.alive && this.child.connected) {
      this.child.send({ type: 'actor-count', count, ...(reqId === undefined ? {} : { reqId }) } satisfies AgentToHost);
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }
}

export function describeExit(exit: HostExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`;
}

/** The cause of an actor process's death; V8 running out of heap is told apart by its last words. */
export function deathFromExit(exit: HostExit, logFile?: string): DeathCause {
  if (exit.code !== 0 && logFile) {
    const tail = readTail(logFile, 16 * 1024);
    const m = /(FATAL ERROR: [^\n]*heap out of memory[^\n]*|JavaScript heap out of memory)/.exec(tail);
    if (m) return { type: 'out-of-memory', detail: `${m[1]!.trim()}; ${describeExit(exit)}` };
  }
  if (exit.signal) return { type: 'signaled', signal: exit.signal };
  return { type: 'exited', exitCode: exit.code ?? -1 };
}

function readTail(file: string, bytes: number): string {
  try {
    const fd = openSync(file, 'r');
    try {
      const size = fstatSync(fd).size;
      const len = Math.min(size, bytes);
      const buf = Buffer.alloc(len);
      readSync(fd, buf, 0, len, size - len);
      return buf.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '';
  }
}

/**
 * Variables holding credentials, never passed on to a host process (the agent may have them in its
 * own environment: a daemon started by `troupe start` does): actor code must not find them.
 */
export const CREDENTIAL_ENV: readonly string[] = ['TROUPE_TOKEN', 'TROUPE_JOB_TOKEN', 'TROUPE_REDIS_PASSWORD'];

function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of CREDENTIAL_ENV) delete out[k];
  return out;
}

/**
 * Large ArrayBuffers (tensors, pulled objects) come from glibc's mmap'd chunks; asking it to mark
 * them for transparent huge pages cuts the first-touch page faults that otherwise bound how fast
 * fresh memory fills (about 1 GB/s on the development VM). A user's own setting wins.
 */
function hugePageTunables(current: string | undefined): string {
  if (current?.includes('glibc.malloc.hugetlb')) return current;
  return current ? `${current}:glibc.malloc.hugetlb=1` : 'glibc.malloc.hugetlb=1';
}
