/**
 * A log file rotated by size, written synchronously (logger.ts says why). Rotation copies the file
 * to `<file>.1` (older copies move up to `<file>.<maxFiles-1>`, the oldest is dropped) and truncates
 * it in place, rather than renaming it: an actor host's stdout and stderr are the same file, held
 * open by the process, and a rename would leave them writing into the copy (crash output included,
 * which the agent reads back from the file's tail). All writers append, so they follow the truncation.
 */
import { closeSync, copyFileSync, fstatSync, ftruncateSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from './errors.js';

export interface LogRotation {
  /** A file is rotated before a line would take it past this many bytes. Default 10 MiB. */
  maxBytes: number;
  /** Files kept in all, the live one included (1: truncate, keep no copy). Default 5. */
  maxFiles: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 10 * 1024 * 1024, maxFiles: 5 };

/** The rotation set by TROUPE_LOG_MAX_BYTES / TROUPE_LOG_MAX_FILES, over the defaults. */
export function rotationFromEnv(env: NodeJS.ProcessEnv = process.env): LogRotation {
  const read = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`${name} must be an integer of at least ${min}, got "${raw}"`, {
        context: { field: name },
      });
    }
    return n;
  };
  return {
    maxBytes: read('TROUPE_LOG_MAX_BYTES', DEFAULT_LOG_ROTATION.maxBytes, 1024),
    maxFiles: read('TROUPE_LOG_MAX_FILES', DEFAULT_LOG_ROTATION.maxFiles, 1),
  };
}

/** A pino destination: one file, appended to synchronously, rotated by size (see the file comment). */
export class RotatingLogFile {
  private fd: number;

  constructor(
    readonly file: string,
    private readonly rotation: LogRotation = DEFAULT_LOG_ROTATION,
  ) {
    if (!(rotation.maxBytes >= 1) || !(rotation.maxFiles >= 1)) {
      throw new InvalidArgumentError('log rotation needs maxBytes and maxFiles of at least 1', {
        context: { field: 'rotation' },
      });
    }
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
  }

  /**
   * Appends one line (pino hands whole lines), rotating first when it would not fit. A line longer
   * than maxBytes is kept whole, alone in its file (lines are bounded: errors are cut to 8 KiB).
   */
  write(line: string): void {
    const bytes = Buffer.byteLength(line, 'utf8');
    // The size on disk, not a count of our own writes: other writers (stdout) append to it too.
    const size = fstatSync(this.fd).size;
    if (size > 0 && size + bytes > this.rotation.maxBytes) this.rotate();
    writeSync(this.fd, line);
  }

  /** Nothing is buffered; pino calls this from `logger.flush()`. */
  flush(cb?: (err?: Error) => void): void {
    cb?.();
  }

  flushSync(): void {}

  end(): void {
    closeSync(this.fd);
  }

  private rotate(): void {
    const { maxFiles } = this.rotation;
    const copy = (i: number) => `${this.file}.${i}`;
    for (let i = maxFiles - 1; i >= 2; i--) {
      try {
        renameSync(copy(i - 1), copy(i));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (maxFiles > 1) copyFileSync(this.file, copy(1));
    ftruncateSync(this.fd, 0);
  }
}
