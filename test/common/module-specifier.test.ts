/** One reading of an actor module's specifier, for the driver (normalizeModule) and the actor host (toImportable). */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeModule, parseModuleSpecifier, toImportable } from '../../src/common/module-specifier.js';

describe('module specifiers', () => {
  const cwd = process.cwd();

  it('keeps URLs and bare names as written', () => {
    for (const s of [
      'file:///a/b.js',
      'data:text/javascript,export{}',
      'node:fs',
      'troupe/internal/job-supervisor',
      'lodash',
    ]) {
      expect(normalizeModule(s)).toBe(s);
      expect(toImportable(s)).toBe(s);
    }
    const url = new URL('file:///x/y.ts');
    expect(normalizeModule(url)).toBe(url.href);
    expect(parseModuleSpecifier('lodash')).toEqual({ type: 'bare', name: 'lodash' });
  });

  it('sends absolute paths as written and relative ones resolved; imports both as file URLs', () => {
    expect(normalizeModule('/a/../b/c.js')).toBe('/a/../b/c.js');
    expect(toImportable('/a/../b/c.js')).toBe('file:///b/c.js');
    expect(normalizeModule('./m.js')).toBe(path.join(cwd, 'm.js'));
    expect(normalizeModule('../m.js')).toBe(path.resolve(cwd, '..', 'm.js'));
    expect(toImportable('./m.js')).toBe(pathToFileURL(path.join(cwd, 'm.js')).href);
    expect(toImportable(normalizeModule('./m.js'))).toBe(toImportable('./m.js'));
  });
});
