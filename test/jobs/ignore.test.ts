// `.troupeignore` is read as git reads a .gitignore: the same tree and patterns go to the real
// `git check-ignore`, and every path must get the same answer from IgnoreRules and from git.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IGNORE_FILE, IgnoreRules, listWorkingDir } from '../../src/jobs/index.js';
import { skipWithout } from '../fixtures/requirements.js';

const TITLE = '.troupeignore against git check-ignore';
const noGit = skipWithout({
  what: TITLE,
  pkg: 'git',
  missing: spawnSync('git', ['--version']).status === 0 ? null : 'git is not installed',
});

const PATTERNS = [
  '# a comment, and a blank line',
  '',
  '*.log',
  '!keep.log',
  'file[0-9].txt',
  '[abc]x.dat',
  '[!a]y.dat',
  'm[a-c-]n.txt',
  'data/**/*.bin',
  '**/cache',
  'a/**/z',
  'deep/**',
  '/build/',
  'out/',
  '!out/keep.txt',
  '/top.txt',
  'docs/*.md',
  '!docs/README.md',
  'vendor',
  '!vendor/keep.js',
  '!**/vendor/keep.js',
  '!/vendor/',
  'gen/*',
  '!gen/keep/',
  '\\#hash.txt',
  '\\!bang.txt',
  '#not-a-pattern.txt',
  'trail   ',
  'spaced\\ ',
  '*.TMP',
  'q?.txt',
];

const FILES = [
  'main.js',
  'README.md',
  'a.log',
  'sub/b.log',
  'keep.log',
  'sub/keep.log',
  'file1.txt',
  'file10.txt',
  'filex.txt',
  'sub/file2.txt',
  'ax.dat',
  'bx.dat',
  'dx.dat',
  'ay.dat',
  'by.dat',
  'man.txt',
  'mdn.txt',
  'm-n.txt',
  'data/z.bin',
  'data/x/y/z.bin',
  'data/z.txt',
  'other/data/z.bin',
  'cache/f.txt',
  'sub/cache/f.txt',
  'cachefile',
  'a/z',
  'a/b/c/z',
  'a/zz',
  'deep/x.txt',
  'deep/y/z.txt',
  'build/a.o',
  'src/build/b.o',
  'build.txt',
  'lib/build',
  'out/a.txt',
  'out/keep.txt',
  'lib/out',
  'lib/out2/out/x.txt',
  'top.txt',
  'sub/top.txt',
  'docs/a.md',
  'docs/README.md',
  'docs/sub/b.md',
  'vendor/keep.js',
  'vendor/x.js',
  'lib/vendor/keep.js',
  'lib/vendor/y.js',
  'gen/a.txt',
  'gen/keep/x.txt',
  'gen/other/x.txt',
  '#hash.txt',
  'sub/#hash.txt',
  '!bang.txt',
  'bang.txt',
  '#not-a-pattern.txt',
  'trail',
  'trail ',
  'spaced',
  'spaced ',
  'x.tmp',
  'Y.TMP',
  'q1.txt',
  'q12.txt',
  'sub/q/x.txt',
];

let root = '';
let home = '';

function git(args: string[], input?: string): string {
  const r = spawnSync('git', args, {
    cwd: root,
    input,
    encoding: 'utf8',
    // Nothing from this machine's git configuration (a global excludes file, say) may take part.
    env: {
      ...process.env,
      HOME: home,
      XDG_CONFIG_HOME: home,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
    },
  });
  // check-ignore exits 1 when nothing it was given is ignored.
  if (r.status !== 0 && !(args[0] === 'check-ignore' && r.status === 1)) {
    throw new Error(`git ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

/** Every file, and every folder above one, '/'-separated. */
function allPaths(): Array<{ rel: string; isDir: boolean }> {
  const dirs = new Set<string>();
  for (const f of FILES) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  return [
    ...[...dirs].map((rel) => ({ rel, isDir: true })),
    ...[...FILES, '.gitignore', IGNORE_FILE].map((rel) => ({ rel, isDir: false })),
  ];
}

describe.skipIf(noGit)(noGit ? `${TITLE} (skipped: ${noGit})` : TITLE, () => {
  beforeAll(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'troupe-ignore-'));
    home = mkdtempSync(path.join(os.tmpdir(), 'troupe-ignore-home-'));
    for (const f of FILES) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), f);
    }
    const text = `${PATTERNS.join('\n')}\n`;
    writeFileSync(path.join(root, '.gitignore'), text);
    writeFileSync(path.join(root, IGNORE_FILE), text);
    git(['init', '-q', '.']);
    git(['config', 'core.ignorecase', 'false']);
  });
  afterAll(() => {
    for (const d of [root, home]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('decides every path as git does', () => {
    const paths = allPaths();
    const input = paths.map((p) => `${p.rel}\0`).join('');
    const byGit = new Set(git(['check-ignore', '--no-index', '--stdin', '-z'], input).split('\0'));
    const rules = IgnoreRules.forDir(root);
    const line = (p: { rel: string; isDir: boolean }, ignored: boolean): string =>
      `${p.rel}${p.isDir ? '/' : ''}: ${ignored ? 'ignored' : 'kept'}`;
    const want = paths.map((p) => line(p, byGit.has(p.rel)));
    const got = paths.map((p) => line(p, rules.ignores(p.rel, p.isDir)));
    expect(got).toEqual(want);
    // The tree is built to reach both answers often, so a matcher that says the same for all fails.
    expect(byGit.size).toBeGreaterThan(20);
    expect(paths.length - byGit.size).toBeGreaterThan(20);
  });

  it('packs the files git would see as untracked and not ignored', () => {
    const byGit = git(['ls-files', '--others', '--exclude-standard', '-z']).split('\0').filter(Boolean).sort();
    const packed = listWorkingDir(root)
      .map((e) => e.rel)
      .filter((rel) => FILES.includes(rel) || rel === '.gitignore' || rel === IGNORE_FILE)
      .sort();
    expect(packed).toEqual(byGit);
  });
});
