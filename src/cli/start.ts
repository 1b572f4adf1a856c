import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { openSync, writeFileSync, renameSync, rmSync, existsSync, readFileSync, closeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, UnavailableError, checkToken } from '../common/index.js';
import { configureLogging, flushLogs, logger } from '../common/index.js';
import { markLatest, newSession, type SessionPaths } from '../common/index.js';
import { HeadServer, formatResources } from '../head/index.js';
import { WorkerAgent, validateCustomResources } from '../worker/index.js';
import { openStore, type StateStore } from '../state/index.js';
import { routeGrpcLogs } from '../transport/index.js';
import { findLocalAgent, startLocalAgent, stopLocalAgent, type LocalAgent } from './local-agent.js';
import { probePort, unreachableError } from './reach.js';

export interface StartFlags {
  head?: boolean;
  address?: string;
  token?: string;
  host?: string;
  port?: number;
  numCpus?: number;
  numGpus?: number;
  memory?: number;
  resources?: Record<string, number>;
  worker: boolean;
  warmPool?: number;
  heartbeatPeriodMs?: number;
  heartbeatTimeoutMs?: number;
  maxMessageBytes?: number;
  daemon?: boolean;
  /** State store URL (default: in memory, lost with the head). */
  state?: string;
  /** Redis key prefix, with a {hash tag}; one Redis can hold several clusters. */
  statePrefix?: string;
  /** Head: actor processes may be started with any Node flags (HeadOptions.allowExecArgv). */
  allowExecArgv?: boolean;
}

export const DEFAULT_HEAD_PORT = 7420;

/** What a started node writes to `<session>/ready-<pid>.json` once it serves. */
interface Ready {
  role: 'head' | 'worker';
  address: string;
  nodeId: string;
  pid: number;
  logs: string;
  resources: Record<string, number>;
  /** The head's local worker agent, a process of its own; `adopted` when it outlived a crashed head. */
  agent?: { pid: number; adopted: boolean };
}

export async function startCommand(flags: StartFlags, argv: string[]): Promise<void> {
  if (!flags.head && !flags.address) {
    throw new InvalidArgumentError(
      'troupe start needs --head (start a head) or --address HOST:PORT (join one); TROUPE_ADDRESS also sets the address',
      {
        context: { field: '--address' },
      },
    );
  }
  if (flags.head && flags.address) {
    throw new InvalidArgumentError('--head and --address exclude each other: a head does not join another head', {
      context: { field: '--address' },
    });
  }
  if (flags.state && !flags.head) {
    throw new InvalidArgumentError(
      '--state belongs to the head (troupe start --head --state URL); workers keep no state',
      { context: { field: '--state' } },
    );
  }
  validateCustomResources(flags.resources);
  let generated = false;
  let token = flags.token ?? (process.env.TROUPE_TOKEN || undefined);
  if (token !== undefined) checkToken(token, flags.token !== undefined ? '--token' : 'TROUPE_TOKEN');
  // /proc/<pid>/cmdline is readable by every user of the machine: a token given with --token
  // leaves it (the title is written over the arguments' memory; the environment is owner-only).
  if (flags.token !== undefined) process.title = withoutToken([process.argv0, ...process.argv.slice(1)]).join(' ');
  if (!token) {
    if (!flags.head) {
      throw new InvalidArgumentError(
        'joining a cluster needs its token: pass --token or set TROUPE_TOKEN (the head printed it and saved it in its session folder)',
        {
          context: { field: '--token' },
        },
      );
    }
    token = randomBytes(24).toString('base64url');
    generated = true;
  }
  const role = flags.head ? 'head' : 'worker';
  const adopted = process.env.TROUPE_SESSION_DIR !== undefined;
  const session = newSession(role);
  let ready: Ready;
  try {
    if (flags.daemon) {
      await daemonize(session, argv, token);
      ready = await waitReady(session, 30_000);
    } else {
      ready = await runNode(flags, token, session);
    }
  } catch (err) {
    // A failed start changes nothing: its session folder goes, unless it holds the output a
    // failed daemon's message points to (or belongs to the parent that started this daemon).
    if (!flags.daemon && !adopted) rmSync(session.dir, { recursive: true, force: true });
    throw portHint(err, flags);
  }
  if (flags.daemon) {
    banner(ready, token, generated, session);
    return;
  }
  banner(ready, token, generated && !adopted, session);
  if (adopted) {
    // Written whole, then renamed: the parent polls for it and must never read half a file.
    const file = path.join(session.dir, `ready-${process.pid}.json`);
    writeFileSync(`${file}.tmp`, JSON.stringify(ready));
    renameSync(`${file}.tmp`, file);
  }
}

/** A busy head port gets the flag that changes it named. */
function portHint(err: unknown, flags: StartFlags): unknown {
  if (!(err instanceof UnavailableError) || err.context.reason !== 'EADDRINUSE' || !flags.head) return err;
  return new UnavailableError(
    `${err.message}. Choose another port with --port N (0 for any free port), or stop that head first ` +
      '(`troupe status` asks it, `troupe stop` stops the troupe processes of this machine)',
    { cause: err, context: { ...err.context, field: '--port' } },
  );
}

/**
 * Runs a head or a worker in this process until SIGINT or SIGTERM. A head's local worker agent
 * runs in a process of its own (local-agent.ts), which this one stops when it stops.
 */
async function runNode(flags: StartFlags, token: string, session: SessionPaths): Promise<Ready> {
  const role = flags.head ? 'head' : 'worker';
  configureLogging({ file: path.join(session.logs, `${role}-${process.pid}.log`), name: role });
  routeGrpcLogs(logger('grpc'));
  const pidFile = path.join(session.pidDir, `${role}-${process.pid}.pid`);
  let head: HeadServer | undefined;
  let worker: WorkerAgent | undefined;
  let agent: LocalAgent | undefined;
  let store: StateStore | undefined;
  const stopAll = async (): Promise<void> => {
    // Workers first, as `troupe stop` does: their actors' exits are not reported as failures.
    if (agent) await stopLocalAgent(agent.pid).catch(() => undefined);
    await worker?.stop().catch(() => undefined);
    await head?.stop().catch(() => undefined);
    await store?.close().catch(() => undefined);
    rmSync(pidFile, { force: true });
  };
  const stop = async (signal: string): Promise<void> => {
    process.stdout.write(`troupe: ${signal}, stopping ${role} ${process.pid}\n`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await stopAll();
    flushLogs();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  try {
    let headAddress = flags.address ?? '';
    const workerOptions = {
      host: flags.host,
      numCpus: flags.numCpus,
      numGpus: flags.numGpus,
      memory: flags.memory,
      resources: flags.resources,
      warmPoolSize: flags.warmPool,
      maxMessageBytes: flags.maxMessageBytes,
    };
    if (flags.head) {
      store = await openStore(
        flags.state ?? (process.env.TROUPE_STATE || undefined),
        flags.statePrefix ? { keyPrefix: flags.statePrefix } : {},
      );
      head = new HeadServer({
        store,
        token,
        host: flags.host,
        port: flags.port ?? DEFAULT_HEAD_PORT,
        heartbeatPeriodMs: flags.heartbeatPeriodMs,
        heartbeatTimeoutMs: flags.heartbeatTimeoutMs,
        maxMessageBytes: flags.maxMessageBytes,
        allowExecArgv: flags.allowExecArgv,
      });
      headAddress = await head.start();
      writeFileSync(pidFile, String(process.pid));
      writeFileSync(session.addressFile, headAddress);
      writeFileSync(session.tokenFile, token, { mode: 0o600 });
      // Only a head that serves becomes the one `troupe status` and `job submit` find.
      markLatest(session);
      if (flags.worker) {
        agent =
          findLocalAgent(headAddress) ?? (await startLocalAgent(session, token, { headAddress, ...workerOptions }));
      }
    } else {
      writeFileSync(pidFile, String(process.pid));
      // A worker waits for its head (a unit started before the head's is normal), but says at
      // once, in the words every command uses, when nothing is there to join yet.
      const probe = await probePort(headAddress);
      if (probe.kind !== 'listening') {
        process.stderr.write(
          `troupe: ${unreachableError(headAddress, probe).message}\n` +
            `troupe: waiting for a head at ${headAddress} (Ctrl-C to stop)\n`,
        );
      }
      worker = new WorkerAgent({ headAddress, token, logDir: session.logs, ...workerOptions });
      await worker.start();
    }
    return {
      role,
      address: headAddress,
      nodeId: worker?.nodeId ?? agent?.nodeId ?? '',
      pid: process.pid,
      logs: session.logs,
      resources: worker ? await worker.resources() : (agent?.resources ?? {}),
      ...(agent ? { agent: { pid: agent.pid, adopted: agent.adopted } } : {}),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

function banner(ready: Ready, token: string, printToken: boolean, session: SessionPaths): void {
  const lines: string[] = [];
  if (ready.role === 'head') {
    lines.push(`Troupe head started at ${ready.address} (pid ${ready.pid})`);
    if (printToken)
      lines.push(`  token: ${token}`, `         (shown once; saved to ${session.tokenFile}, readable only by you)`);
    if (ready.agent) {
      const kept = ready.agent.adopted ? ', kept running from before this head restarted' : '';
      lines.push(
        `  local worker ${ready.nodeId || '(registering)'} (pid ${ready.agent.pid}${kept}): ${formatResources(ready.resources)}`,
      );
    }
    lines.push(`  logs:  ${ready.logs}`);
    lines.push('', `Join a worker:   troupe start --address ${ready.address} --token <token>`);
    lines.push(
      `Use it:          TROUPE_ADDRESS=${ready.address} TROUPE_TOKEN=<token> node driver.js   # connect() reads both`,
    );
  } else {
    lines.push(
      `Troupe worker ${ready.nodeId} joined ${ready.address} (pid ${ready.pid}): ${formatResources(ready.resources)}`,
    );
    lines.push(`  logs: ${ready.logs}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Starts this same command detached, without --daemon, logging to the session folder. */
async function daemonize(session: SessionPaths, argv: string[], token: string): Promise<void> {
  // The daemon gets the token in its environment, never on its command line.
  const args = withoutToken(
    argv.filter((a) => a !== '--daemon'),
    true,
  );
  const out = openSync(path.join(session.logs, 'daemon.out'), 'a');
  const child = spawn(process.execPath, [...process.execArgv, ...args], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, TROUPE_SESSION_DIR: session.dir, TROUPE_TOKEN: token },
  });
  closeSync(out);
  child.unref();
  child.once('exit', (code, signal) => {
    daemonExit = `exited early (${signal ? `signal ${signal}` : `code ${code}`})`;
  });
}

let daemonExit: string | undefined;

async function waitReady(session: SessionPaths, timeoutMs: number): Promise<Ready> {
  const deadline = Date.now() + timeoutMs;
  const { readdirSync } = await import('node:fs');
  while (Date.now() < deadline) {
    const file = readdirSync(session.dir).find((f) => f.startsWith('ready-') && f.endsWith('.json'));
    if (file) return JSON.parse(readFileSync(path.join(session.dir, file), 'utf8')) as Ready;
    if (daemonExit) break;
    await sleep(50);
  }
  const outFile = path.join(session.logs, 'daemon.out');
  const tail = existsSync(outFile) ? readFileSync(outFile, 'utf8').split('\n').slice(-15).join('\n') : '';
  throw new UnavailableError(
    `the daemon ${daemonExit ?? `did not come up within ${timeoutMs / 1000} s`}; its output (${outFile}):\n${tail}`,
  );
}

/** `argv` with the value of --token masked, or with --token and its value left out (`drop`). */
export function withoutToken(argv: string[], drop = false): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--token') {
      i++;
      if (!drop) out.push(a, '***');
    } else if (a.startsWith('--token=')) {
      if (!drop) out.push('--token=***');
    } else out.push(a);
  }
  return out;
}
