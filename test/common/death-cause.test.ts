import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeDeath } from '../../src/common/errors.js';
import { deathFromExit } from '../../src/worker/host-process.js';

describe('the cause of an actor process death', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-death-'));
  const log = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('tells V8 running out of heap apart from a plain crash, by its last words', () => {
    const oom = log(
      'oom.log',
      'some output\n<--- Last few GCs --->\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n',
    );
    const cause = deathFromExit({ code: 134, signal: null }, oom);
    expect(cause.type).toBe('out-of-memory');
    expect(describeDeath(cause)).toMatch(/ran out of memory .*heap out of memory.*exit code 134/);
    const plain = log('plain.log', 'Error: boom\n    at x (file.js:1:1)\n');
    expect(deathFromExit({ code: 1, signal: null }, plain)).toEqual({ type: 'exited', exitCode: 1 });
    expect(deathFromExit({ code: null, signal: 'SIGKILL' }, plain)).toEqual({ type: 'signaled', signal: 'SIGKILL' });
    expect(deathFromExit({ code: 3, signal: null }, path.join(dir, 'missing.log'))).toEqual({
      type: 'exited',
      exitCode: 3,
    });
    rmSync(dir, { recursive: true, force: true });
  });
});
