import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';

export type Logger = PinoLogger;

let root: PinoLogger | undefined;

/**
 * Sets where this process logs. A file (per-session log folder) for daemons and embedded clusters,
 * stderr otherwise. Call before the first `logger()`; later calls replace the root.
 * File writes are synchronous: log lines are rare on hot paths, and an asynchronous file that is
 * not open yet crashes a process that exits early (a refused start) instead of reporting.
 */
export function configureLogging(options: { file?: string; level?: string; name?: string } = {}): Logger {
  const level = options.level ?? process.env.TROUPE_LOG_LEVEL ?? 'info';
  const dest: DestinationStream = options.file
    ? pino.destination({ dest: options.file, mkdir: true, sync: true })
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

export function flushLogs(): void {
  try {
    root?.flush();
  } catch {
    // nothing to flush into
  }
}
