import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { RotatingLogFile, rotationFromEnv, type LogRotation } from './log-file.js';

export type Logger = PinoLogger;

let root: PinoLogger | undefined;
let refusalInterval = 10_000;

export interface LoggingOptions {
  /** Log to this file (rotated by size) instead of stderr. */
  file?: string;
  level?: string;
  /** Written on every line as `proc`. */
  name?: string;
  /** Size rotation of `file`. Default: TROUPE_LOG_MAX_BYTES / TROUPE_LOG_MAX_FILES, else 10 MiB × 5 files. */
  rotation?: Partial<LogRotation>;
  /** How often refused peers are summed up in one line each (see refusal-log.ts). Default 10 000 ms. */
  refusalIntervalMs?: number;
}

/**
 * Sets where this process logs. A file (per-session log folder) for daemons and embedded clusters,
 * stderr otherwise. Call before the first `logger()`; later calls replace the root.
 * File writes are synchronous: log lines are rare on hot paths (refusals are rate-limited), and an
 * asynchronous file that is not open yet crashes a process that exits early (a refused start)
 * instead of reporting. That is also why rotation is our own small writer (log-file.ts), not
 * pino-roll, which runs in a worker thread.
 */
export function configureLogging(options: LoggingOptions = {}): Logger {
  const level = options.level ?? process.env.TROUPE_LOG_LEVEL ?? 'info';
  if (options.refusalIntervalMs !== undefined) refusalInterval = options.refusalIntervalMs;
  const dest: DestinationStream = options.file
    ? new RotatingLogFile(options.file, { ...rotationFromEnv(), ...options.rotation })
    : pino.destination({ fd: 2, sync: true });
  root = pino({ level, base: { pid: process.pid, ...(options.name ? { proc: options.name } : {}) } }, dest);
  return root;
}

/** A child logger for one component (`head`, `worker`, `actor-host`, `client`). */
export function logger(component: string): Logger {
  if (!root) {
    // Drivers log only warnings to stderr unless told otherwise.
    root = pino(
      { level: process.env.TROUPE_LOG_LEVEL ?? 'warn', base: { pid: process.pid } },
      pino.destination({ fd: 2, sync: true }),
    );
  }
  return root.child({ component });
}

/** The interval of refusal summaries, as configured (refusal-log.ts). */
export function refusalLogIntervalMs(): number {
  return refusalInterval;
}

export function flushLogs(): void {
  try {
    root?.flush();
  } catch {
    // nothing to flush into
  }
}
