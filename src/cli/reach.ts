/**
 * Why a head cannot be reached, told apart the way a user needs, for every command that talks to
 * one: nothing listens at the address (answered in about a second, from one TCP connect), or the
 * head this machine started there is starting or restarting (its process is alive: wait, and say
 * so). Commands run their work through `withHead`, so each prints the same messages.
 */
import { readdirSync, realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { HeadUnavailableError, TroupeError, latestSession, readIfExists } from '../common/index.js';

/** What one TCP connect to an address found. */
export type PortProbe =
  | { kind: 'listening' }
  | { kind: 'refused' }
  | { kind: 'no-answer'; afterMs: number }
  | { kind: 'unreachable'; detail: string };

/** How long one connect may take before the address counts as not answering. */
export const PROBE_TIMEOUT_MS = 2000;
/** How long a command waits for a head whose process is alive but not accepting connections yet. */
export const RESTART_WAIT_MS = 30_000;

/** One TCP connect to `address` (host:port, IPv6 in brackets), closed at once. */
export function probePort(address: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<PortProbe> {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!m) return Promise.resolve({ kind: 'unreachable', detail: `'${address}' is not HOST:PORT` });
  return new Promise((resolve) => {
    const socket = net.connect({ host: m[1]!, port: Number(m[2]) });
    const done = (probe: PortProbe): void => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => done({ kind: 'no-answer', afterMs: timeoutMs }));
    socket.once('connect', () => done({ kind: 'listening' }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(
        err.code === 'ECONNREFUSED' ? { kind: 'refused' } : { kind: 'unreachable', detail: err.code ?? err.message },
      ),
    );
  });
}

/** The head this machine's latest session started at `address`, and whether its process lives. */
export interface LocalHead {
  dir: string;
  /** The head's pid from the session's pid files: a live one if any. */
  pid: number | undefined;
  /** True when that process is running (it may still be starting, or restarting). */
  alive: boolean;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The latest local session, when it is the head at `address` (what `troupe start --head` wrote). */
export function localHeadAt(address: string): LocalHead | undefined {
  const session = latestSession();
  if (!session || readIfExists(session.addressFile) !== address) return undefined;
  let dir = session.dir;
  try {
    dir = realpathSync(session.dir);
  } catch {
    // the link is gone: keep its name
  }
  let pids: number[] = [];
  try {
    pids = readdirSync(session.pidDir)
      .map((f) => /^head-(\d+)\.pid$/.exec(f)?.[1])
      .filter((p): p is string => p !== undefined)
      .map(Number);
  } catch {
    // no pid folder: no head process to look for
  }
  const alive = pids.find(isAlive);
  return { dir, pid: alive ?? pids[0], alive: alive !== undefined };
}

const START_HINT = 'check the address (--address, TROUPE_ADDRESS) or start a head with `troupe start --head`';

/** The error for an address where no head answers, saying which case it is and what to do. */
export function unreachableError(address: string, probe: Exclude<PortProbe, { kind: 'listening' }>): TroupeError {
  const context = { address };
  const local = localHeadAt(address);
  const mine = local?.alive
    ? `the head started here (pid ${local.pid}) runs but does not accept connections: it is restarting; retry in a moment`
    : local
      ? `the head started here (${local.pid ? `pid ${local.pid}, ` : ''}session ${path.basename(local.dir)}) is not running; ` +
        'start it again with `troupe start --head` (the same --state keeps the cluster)'
      : undefined;
  switch (probe.kind) {
    case 'refused':
      return new HeadUnavailableError(
        `nothing listens at ${address} (connection refused): ${mine ?? `no head runs there; ${START_HINT}`}`,
        { context },
      );
    case 'no-answer':
      return new HeadUnavailableError(
        `nothing answers at ${address}: a TCP connection got no reply within ${probe.afterMs / 1000} s ` +
          `(the host is down, or a firewall drops it); ${mine ?? START_HINT}`,
        { context },
      );
    case 'unreachable':
      return new HeadUnavailableError(`cannot reach ${address} (${probe.detail}); ${mine ?? START_HINT}`, { context });
  }
}

export interface ReachOptions {
  /** Where "waiting for the head" lines go. Default stderr. */
  say?: (line: string) => void;
  /** How long to wait for a local head that is alive but not accepting connections. */
  waitMs?: number;
}

/**
 * Resolves once something accepts connections at `address`. When nothing does, fails at once with
 * `unreachableError`, unless the local session says a live head process should be there: then it
 * says so and waits (up to `waitMs`) for that head to start listening.
 */
export async function reachHead(address: string, options: ReachOptions = {}): Promise<void> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  let probe = await probePort(address);
  if (probe.kind === 'listening') return;
  const local = localHeadAt(address);
  if (!local?.alive) throw unreachableError(address, probe);
  const waitMs = options.waitMs ?? RESTART_WAIT_MS;
  say(
    `troupe: the head at ${address} (pid ${local.pid}) is starting or restarting: ` +
      `its process runs but does not accept connections yet; waiting up to ${Math.round(waitMs / 1000)} s`,
  );
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    probe = await probePort(address, Math.min(PROBE_TIMEOUT_MS, Math.max(100, deadline - Date.now())));
    if (probe.kind === 'listening') return;
    if (!localHeadAt(address)?.alive) throw unreachableError(address, probe);
  }
  throw new HeadUnavailableError(
    `the head at ${address} (pid ${local.pid}) runs but did not accept connections within ${Math.round(waitMs / 1000)} s; ` +
      `see its log in ${path.join(local.dir, 'logs')}`,
    { context: { address } },
  );
}

const UNREACHABLE_CODES = new Set<string>(['HEAD_UNAVAILABLE', 'UNAVAILABLE', 'TIMEOUT']);

/**
 * Runs `fn` against the head at `address` once it is reachable. A failure to reach it halfway (the
 * head went away) is told apart the same way, instead of gRPC's own words.
 */
export async function withHead<T>(address: string, fn: () => Promise<T>, options: ReachOptions = {}): Promise<T> {
  await reachHead(address, options);
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof TroupeError) || !UNREACHABLE_CODES.has(err.troupeCode)) throw err;
    const probe = await probePort(address);
    if (probe.kind === 'listening') throw err;
    throw unreachableError(address, probe);
  }
}
