import { mkdirSync, symlinkSync, rmSync, readFileSync, existsSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Root of all session folders: `TROUPE_TMPDIR`, else `<tmp>/troupe`. */
export function troupeRoot(): string {
  return process.env.TROUPE_TMPDIR ?? path.join(os.tmpdir(), 'troupe');
}

export interface SessionPaths {
  dir: string;
  logs: string;
  /** Address of the head (host:port), written by the head. */
  addressFile: string;
  /** The cluster token, mode 0600. */
  tokenFile: string;
  /** Pid files of daemons started by `troupe start --daemon`. */
  pidDir: string;
}

export function sessionPaths(dir: string): SessionPaths {
  return {
    dir,
    logs: path.join(dir, 'logs'),
    addressFile: path.join(dir, 'head_address'),
    tokenFile: path.join(dir, 'token'),
    pidDir: path.join(dir, 'pids'),
  };
}

/**
 * Creates a new session folder (or adopts `TROUPE_SESSION_DIR`, set for a daemon by its parent).
 * It becomes `session_latest` only through `markLatest`, once its node serves: a start that fails
 * (a busy port) must leave `troupe status` pointing at the head that still runs.
 */
export function newSession(kind: string): SessionPaths {
  const given = process.env.TROUPE_SESSION_DIR;
  if (given) {
    const paths = sessionPaths(given);
    mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
    mkdirSync(paths.pidDir, { recursive: true, mode: 0o700 });
    return paths;
  }
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '_');
  const dir = path.join(troupeRoot(), `session_${stamp}_${kind}_${process.pid}`);
  const paths = sessionPaths(dir);
  mkdirSync(paths.logs, { recursive: true, mode: 0o700 });
  mkdirSync(paths.pidDir, { recursive: true, mode: 0o700 });
  return paths;
}

/** Points `session_latest`, where `troupe status` finds the address and token, at this session. */
export function markLatest(paths: SessionPaths): void {
  const latest = path.join(troupeRoot(), 'session_latest');
  // A new link renamed over the old one: there is no moment without a link.
  const tmp = `${latest}.${process.pid}.tmp`;
  try {
    rmSync(tmp, { force: true });
    symlinkSync(paths.dir, tmp);
    renameSync(tmp, latest);
  } catch {
    // another process raced us to the link; the folder itself is what matters
    rmSync(tmp, { force: true });
  }
}

/** The most recent session, if any. */
export function latestSession(): SessionPaths | undefined {
  const latest = path.join(troupeRoot(), 'session_latest');
  return existsSync(latest) ? sessionPaths(latest) : undefined;
}

export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}
