/**
 * Files of one idea: the median source file stays near 200 lines, and a file above 400 lines says
 * why in its opening comment (a sentence naming "over 400 lines" and the reason).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = path.join(ROOT, 'src');

const sources = (readdirSync(SRC, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.startsWith(`generated${path.sep}`))
  .map((f) => {
    const text = readFileSync(path.join(SRC, f), 'utf8');
    return { file: f, lines: text.split('\n').length, opening: /^\s*\/\*\*?[\s\S]*?\*\//.exec(text)?.[0] ?? '' };
  });

describe('source files', () => {
  it('have a median length of about 200 lines', () => {
    const sorted = sources.map((s) => s.lines).sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    expect(sources.length).toBeGreaterThan(50);
    expect(median).toBeLessThanOrEqual(250);
  });

  it('above 400 lines give the reason in their opening comment', () => {
    const unexplained = sources
      .filter((s) => s.lines > 400 && !/over 400 lines/i.test(s.opening))
      .map((s) => `${s.file} (${s.lines} lines)`);
    expect(
      unexplained,
      'split the file along its ideas, or say in its opening comment why it is over 400 lines',
    ).toEqual([]);
  });
});
