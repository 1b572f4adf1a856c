/**
 * Log files rotated by size (issue 13, item 8): at most maxFiles files of at most maxBytes each,
 * the newest lines kept in order, and other writers of the same file (an actor host's stdout and
 * stderr) following the rotation. Real files in a temporary folder, written through pino.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { rotationFromEnv } from '../../src/common/log-file.js';
import { configureLogging, logger } from '../../src/common/logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempLog(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-log-'));
  dirs.push(dir);
  return path.join(dir, 'sub', 'head.log');
}

/** The `seq` of every line of `file`, in order. */
const seqs = (file: string): number[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { seq: number }).seq);

describe('log rotation', () => {
  it('keeps at most maxFiles files of at most maxBytes, the newest lines in order', () => {
    const file = tempLog();
    const maxBytes = 4096;
    const maxFiles = 3;
    configureLogging({ file, rotation: { maxBytes, maxFiles } });
    const log = logger('test');
    for (let seq = 0; seq < 2000; seq++) log.info({ seq }, 'a line of some length to fill the files with');
    const files = [file, `${file}.1`, `${file}.2`];
    for (const f of files) {
      expect(existsSync(f), f).toBe(true);
      expect(statSync(f).size, f).toBeLessThanOrEqual(maxBytes);
      // The copies were full when they were rotated; the live file holds whatever came since (its
      // size depends on how the line lengths, pids included, fell against the limit).
      if (f !== file) expect(statSync(f).size, f).toBeGreaterThan(maxBytes / 2);
      else expect(statSync(f).size, f).toBeGreaterThan(0);
    }
    expect(existsSync(`${file}.3`)).toBe(false);
    // Oldest copy first: one unbroken run of lines ending with the last one written.
    const kept = [...files].reverse().flatMap(seqs);
    expect(kept.at(-1)).toBe(1999);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 2000 - kept.length + i));
    console.log(`2000 lines: ${kept.length} kept in ${files.length} files of at most ${maxBytes} bytes`);
  });

  it('keeps one file, truncated, with maxFiles 1', () => {
    const file = tempLog();
    configureLogging({ file, rotation: { maxBytes: 2048, maxFiles: 1 } });
    const log = logger('test');
    for (let seq = 0; seq < 500; seq++) log.info({ seq }, 'line');
    expect(statSync(file).size).toBeLessThanOrEqual(2048);
    expect(existsSync(`${file}.1`)).toBe(false);
    expect(seqs(file).at(-1)).toBe(499);
  });

  it('rotates in place, so another process appending to the file (stdout) writes into the live one', () => {
    const file = tempLog();
    configureLogging({ file, rotation: { maxBytes: 4096, maxFiles: 2 } });
    const log = logger('test');
    log.info({ seq: 0 }, 'first');
    // What a child's stdout and stderr are: the same file, opened for appending.
    const stdout = openSync(file, 'a');
    try {
      for (let seq = 1; seq < 200; seq++) {
        log.info({ seq }, 'a line of some length to fill the files with');
        if (seq === 198) writeSync(stdout, 'console output after rotations\n');
      }
    } finally {
      closeSync(stdout);
    }
    expect(statSync(file).size).toBeLessThanOrEqual(4096);
    expect(readFileSync(file, 'utf8')).toContain('console output after rotations');
    expect(readFileSync(file, 'utf8').indexOf('\u0000')).toBe(-1);
    expect(seqs(file).at(-1)).toBe(199);
  });

  it('reads TROUPE_LOG_MAX_BYTES and TROUPE_LOG_MAX_FILES, refusing values that are not whole numbers', () => {
    expect(rotationFromEnv({})).toEqual({ maxBytes: 10 * 1024 * 1024, maxFiles: 5 });
    expect(rotationFromEnv({ TROUPE_LOG_MAX_BYTES: '65536', TROUPE_LOG_MAX_FILES: '2' })).toEqual({
      maxBytes: 65536,
      maxFiles: 2,
    });
    for (const [name, value] of [
      ['TROUPE_LOG_MAX_BYTES', '10MB'],
      ['TROUPE_LOG_MAX_BYTES', '100'],
      ['TROUPE_LOG_MAX_FILES', '0'],
    ] as const) {
      expect(() => rotationFromEnv({ [name]: value }), `${name}=${value}`).toThrow(InvalidArgumentError);
      expect(() => rotationFromEnv({ [name]: value })).toThrow(name);
    }
  });
});
