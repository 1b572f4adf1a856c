/** Jobs as users see them: a driver program, its state, and the limits on what may be uploaded. */
import { InvalidArgumentError } from '../common/index.js';

/** PENDING: its supervisor is being placed; RUNNING: the driver runs; then one of the three ends. */
export type JobState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export const TERMINAL_JOB_STATES: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'STOPPED']);

export interface JobInfo {
  jobId: string;
  state: JobState;
  /** The command line, e.g. `['node', 'main.js']`. */
  entrypoint: string[];
  /** Why it ended (or is pending), in words. */
  message: string;
  /** The driver's exit code once it exited; -1 before, or when it died by a signal. */
  exitCode: number;
  /** Node whose supervisor runs (ran) the driver. */
  nodeId: string;
  createdAtMs: number;
  startedAtMs: number;
  endedAtMs: number;
  numCpus: number;
  packageId: string;
  packageBytes: number;
  logBytes: number;
  metadata: Record<string, string>;
  driverPid: number;
}

/** Largest packed working directory the head accepts by default (Ray's working_dir cap is 100 MiB too). */
export const DEFAULT_MAX_PACKAGE_BYTES = 100 * 1024 * 1024;
/** Largest unpacked size of a working directory by default. */
export const DEFAULT_MAX_UNPACKED_BYTES = 1024 * 1024 * 1024;
/** Most entries (files, folders, links) in one working directory. */
export const MAX_PACKAGE_ENTRIES = 100_000;
/** Bytes of a package per gRPC message, well under the 16 MiB message cap. */
export const PACKAGE_CHUNK_BYTES = 1024 * 1024;

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function validateJobId(id: string, field = 'job_id'): string {
  if (!JOB_ID.test(id)) {
    throw new InvalidArgumentError(
      `${field} must be 1-128 letters, digits, '_', '.' or '-' (not starting with a symbol), got ${JSON.stringify(id.slice(0, 140))}`,
      {
        context: { field },
      },
    );
  }
  return id;
}

/** Parses `K=V` flags; names must be shell-style identifiers. */
export function parseEnvPairs(pairs: string[], field = '--env'): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new InvalidArgumentError(
        `${field} takes NAME=VALUE with NAME made of letters, digits and _, got ${JSON.stringify(pair)}`,
        { context: { field } },
      );
    }
    env[key] = pair.slice(eq + 1);
  }
  return env;
}

export function validateEnv(env: Record<string, string>, field = 'env'): Record<string, string> {
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
      throw new InvalidArgumentError(`${field} name ${JSON.stringify(k)} must be letters, digits and _`, {
        context: { field },
      });
    if (typeof v !== 'string' || v.includes('\0'))
      throw new InvalidArgumentError(`${field}.${k} must be a string without NUL bytes`, {
        context: { field: `${field}.${k}` },
      });
    if (k === 'TROUPE_TOKEN' || k === 'TROUPE_ADDRESS')
      throw new InvalidArgumentError(`${field}.${k} is set by Troupe for the driver and cannot be overridden`, {
        context: { field: `${field}.${k}` },
      });
  }
  return env;
}

/**
 * Folders for the driver's NODE_PATH: each relative to the job's folder (without '..') or absolute
 * on the node; returns the NODE_PATH value.
 */
export function nodePathValue(dirs: string[], field = 'nodePath'): string {
  for (const d of dirs) {
    const rule = `${field} entries must be folders relative to the job's folder (without "..") or absolute paths`;
    if (typeof d !== 'string' || d === '' || d.includes('\0') || d.includes(':') || d.includes('\n'))
      throw new InvalidArgumentError(`${rule}, without ':', NUL or newlines; got ${JSON.stringify(d)}`, {
        context: { field },
      });
    if (!d.startsWith('/') && d.split(/[\\/]+/).includes('..'))
      throw new InvalidArgumentError(`${rule}; got ${JSON.stringify(d)}`, { context: { field } });
  }
  return dirs.join(':');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
