/**
 * The worker agent on the head's own machine, seen from `troupe start --head`: started as a
 * process of its own (worker-agent-main.ts) so that it and its actors outlive a crash of the
 * head; found again by a head restarted on the same address, instead of a second one started;
 * stopped with the head.
 */
import { fork } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, UnavailableError, readIfExists, sessionPaths, troupeRoot } from '../common/index.js';
import type { SessionPaths } from '../common/index.js';
import type { AgentReady, AgentToHead, HeadToAgent } from './local-agent-ipc.js';

const SELF = fileURLToPath(import.meta.url);
const FROM_SOURCE = SELF.endsWith('.ts');
/** What the agent's command line holds, to tell it from another process with a reused pid. */
export const AGENT_ENTRY = `worker-agent-main.${FROM_SOURCE ? 'ts' : 'js'}`;
const ENTRY = path.join(path.dirname(SELF), AGENT_ENTRY);

/** A local worker agent this head started, or found running from before a crash of the head. */
export interface LocalAgent {
  pid: number;
  nodeId: string;
  resources: Record<string, number>;
  /** True when it was already running (the head restarted), false when this head started it. */
  adopted: boolean;
}

/** Forks the agent, hands it the token over the IPC channel, and resolves once it has registered. */
export function startLocalAgent(
  session: SessionPaths,
  token: string,
  options: HeadToAgent['options'],
  timeoutMs = 60_000,
): Promise<LocalAgent> {
  const out = openSync(path.join(session.logs, 'worker-agent.out'), 'a');
  // Its own copy of the environment, without the token a daemonized head received there.
  const env = { ...process.env };
  delete env.TROUPE_TOKEN;
  delete env.TROUPE_SESSION_DIR;
  // Detached: its own process group, so a Ctrl-C meant for the head reaches the agent only
  // through the head's orderly stop, and a kill of the head's group spares it.
  const child = fork(ENTRY, [], {
    execArgv: process.execArgv,
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env,
  });
  closeSync(out);
  return new Promise<LocalAgent>((resolve, reject) => {
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new UnavailableError(`the local worker agent did not register within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.once('exit', (code, signal) =>
      fail(
        new UnavailableError(
          `the local worker agent exited before it registered (${signal ? `signal ${signal}` : `code ${code}`}); ` +
            `see ${path.join(session.logs, 'worker-agent.out')}`,
        ),
      ),
    );
    child.once('message', (msg: AgentToHead) => {
      if (msg.type === 'failed') {
        const text = `the local worker agent could not start: ${msg.message}`;
        fail(msg.code === 'INVALID_ARGUMENT' ? new InvalidArgumentError(text) : new UnavailableError(text));
        return;
      }
      clearTimeout(timer);
      child.removeAllListeners('exit');
      if (child.connected) child.disconnect();
      child.unref();
      resolve({ pid: msg.pid, nodeId: msg.nodeId, resources: msg.resources, adopted: false });
    });
    child.send({ type: 'start', token, sessionDir: session.dir, options } satisfies HeadToAgent);
  });
}

/**
 * A live agent started by an earlier head on `headAddress` (one killed, now restarted): its pid
 * file sits in a head session whose address file names the same address.
 */
export function findLocalAgent(headAddress: string): LocalAgent | undefined {
  const root = troupeRoot();
  let sessions: string[] = [];
  try {
    sessions = readdirSync(root).filter((d) => d.startsWith('session_') && d !== 'session_latest');
  } catch {
    return undefined;
  }
  for (const s of sessions) {
    const paths = sessionPaths(path.join(root, s));
    if (readIfExists(paths.addressFile) !== headAddress) continue;
    let pids: string[] = [];
    try {
      pids = readdirSync(paths.pidDir).filter((f) => f.startsWith('worker-') && f.endsWith('.pid'));
    } catch {
      continue;
    }
    for (const f of pids) {
      const pid = Number(readIfExists(path.join(paths.pidDir, f)));
      if (!Number.isInteger(pid) || pid <= 0 || !isAgent(pid)) continue;
      const ready = readReady(path.join(paths.dir, `agent-${pid}.json`));
      return { pid, nodeId: ready?.nodeId ?? '', resources: ready?.resources ?? {}, adopted: true };
    }
  }
  return undefined;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the agent is gone. */
export async function stopLocalAgent(pid: number, graceMs = 10_000): Promise<void> {
  if (!isRunning(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (isRunning(pid) && Date.now() < deadline) await sleep(50);
  if (isRunning(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

/** Running (neither gone nor a zombie waiting to be reaped). */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function isAgent(pid: number): boolean {
  if (!isRunning(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-agent-main.');
  } catch {
    return false;
  }
}

function readReady(file: string): AgentReady | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AgentReady;
  } catch {
    return undefined;
  }
}
