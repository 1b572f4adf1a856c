import { describe, expect, it } from 'vitest';
import { dropTroupe, hasLinks, type LockFile } from '../../src/jobs/lock-prune.js';

const lockOf = (packages: LockFile['packages']): LockFile => ({ name: 'app', lockfileVersion: 3, packages });

describe("taking troupe out of a job's lock file", () => {
  it('drops troupe and what only it needs, keeps what others share, dev dependencies and nested copies', () => {
    const manifest = {
      name: 'app',
      dependencies: { troupe: '^0.1.0', ms: '^2.1.3', a: '1' },
      devDependencies: { d: '1' },
    };
    const lock = lockOf({
      '': { dependencies: { troupe: '^0.1.0', ms: '^2.1.3', a: '1' }, devDependencies: { d: '1' } },
      'node_modules/troupe': { dependencies: { 'grpc-only': '1', ms: '^2.1.3', shared: '1' } },
      'node_modules/grpc-only': { dependencies: { deeper: '1' } },
      'node_modules/deeper': {},
      'node_modules/ms': {},
      'node_modules/a': { dependencies: { shared: '2' } },
      'node_modules/a/node_modules/shared': {},
      'node_modules/shared': {},
      'node_modules/d': {},
    });
    expect(dropTroupe(manifest, lock)).toBe(true);
    expect(manifest.dependencies).toEqual({ ms: '^2.1.3', a: '1' });
    expect(Object.keys(lock.packages!).sort()).toEqual([
      '',
      'node_modules/a',
      'node_modules/a/node_modules/shared',
      'node_modules/d',
      'node_modules/ms',
    ]);
    expect(lock.packages!['']!.dependencies).toEqual({ ms: '^2.1.3', a: '1' });
  });

  it('drops a troupe linked from a folder of the user, and its link target', () => {
    const manifest = { dependencies: { troupe: 'file:../troupe' } };
    const lock = lockOf({
      '': { dependencies: { troupe: 'file:../troupe' } },
      '../troupe': { dependencies: { x: '1' } },
      'node_modules/troupe': { resolved: '../troupe', link: true },
      'node_modules/x': {},
    });
    expect(hasLinks(lock)).toBe(true);
    expect(dropTroupe(manifest, lock)).toBe(true);
    expect(Object.keys(lock.packages!)).toEqual(['']);
    expect(hasLinks(lock)).toBe(false);
  });

  it('leaves a lock without troupe as it is, links to the job folders included', () => {
    const packages = {
      '': { dependencies: { lib: 'file:libs/lib' } },
      'libs/lib': { dependencies: { ms: '1' } },
      'node_modules/lib': { resolved: 'libs/lib', link: true },
      'node_modules/ms': {},
      'node_modules/extraneous': {},
    };
    const lock = lockOf(structuredClone(packages));
    expect(dropTroupe({ dependencies: { lib: 'file:libs/lib' } }, lock)).toBe(false);
    expect(lock.packages).toEqual(packages);
    expect(hasLinks(lock)).toBe(true);
  });
});
