import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { IgnoreRules, packWorkingDir, unpackPackage } from '../../src/jobs/index.js';
import { rawTar } from '../fixtures/raw-tar.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'troupe-pkg-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function write(root: string, rel: string, text = rel): void {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
}

describe('ignore rules', () => {
  it('follow a .gitignore subset: names anywhere, anchored paths, folders only, ** and negation', () => {
    const r = new IgnoreRules(['# comment', '*.log', '!keep.log', '/build/', 'data/**/*.bin', 'tmp/']);
    expect(r.ignores('a.log', false)).toBe(true);
    expect(r.ignores('sub/b.log', false)).toBe(true);
    expect(r.ignores('keep.log', false)).toBe(false);
    expect(r.ignores('build', true)).toBe(true);
    expect(r.ignores('src/build', true)).toBe(false);
    expect(r.ignores('build', false)).toBe(false);
    expect(r.ignores('data/x/y/z.bin', false)).toBe(true);
    expect(r.ignores('data/z.bin', false)).toBe(true);
    expect(r.ignores('x/tmp', true)).toBe(true);
    expect(r.ignores('lib/node_modules', true)).toBe(true);
    expect(r.ignores('.git', true)).toBe(true);
  });
});

describe('packing a working directory', () => {
  it('leaves out .git, node_modules and .troupeignore entries, keeps links inside, and unpacks to the same files', async () => {
    const src = tmp();
    write(src, 'main.js', 'console.log(1)');
    write(src, 'lib/util.js');
    write(src, '.git/HEAD');
    write(src, 'node_modules/x/index.js');
    write(src, 'pkg/node_modules/y.js');
    write(src, 'out.log');
    write(src, 'keep.log');
    write(src, 'build/a.o');
    write(src, '.troupeignore', '*.log\n!keep.log\n/build/\n');
    symlinkSync('lib/util.js', path.join(src, 'util-link.js'));
    const pkg = await packWorkingDir(src);
    expect(pkg.packageId).toMatch(/^[0-9a-f]{64}$/);
    const dest = path.join(tmp(), 'job');
    await unpackPackage(pkg.bytes, dest);
    const files = (dir: string, pre = ''): string[] =>
      readdirSync(dir, { withFileTypes: true })
        .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name), `${pre}${e.name}/`) : [`${pre}${e.name}`]))
        .sort();
    expect(files(dest)).toEqual(['.troupeignore', 'keep.log', 'lib/util.js', 'main.js', 'util-link.js']);
    expect(readFileSync(path.join(dest, 'main.js'), 'utf8')).toBe('console.log(1)');
    expect(readlinkSync(path.join(dest, 'util-link.js'))).toBe('lib/util.js');
    expect(lstatSync(path.join(dest, 'util-link.js')).isSymbolicLink()).toBe(true);
  });

  it('refuses a link that points out of the folder, naming it', async () => {
    const src = tmp();
    write(src, 'main.js');
    symlinkSync('/etc/passwd', path.join(src, 'passwd'));
    await expect(packWorkingDir(src)).rejects.toThrow(
      /passwd in the working directory is a link to \/etc\/passwd, outside the folder/,
    );
  });

  it('refuses a folder over the size caps, naming the cap and the largest files', async () => {
    const src = tmp();
    write(src, 'main.js');
    writeFileSync(path.join(src, 'big.bin'), Buffer.alloc(300_000, 7));
    await expect(packWorkingDir(src, { maxUnpackedBytes: 100_000 })).rejects.toThrow(
      /holds 293\.\d KiB, over the 97\.7 KiB cap; largest: big\.bin \(293\.0 KiB\)/,
    );
    writeFileSync(path.join(src, 'big.bin'), randomBytes(300_000));
    await expect(packWorkingDir(src, { maxPackageBytes: 50_000 })).rejects.toThrow(
      /packs to more than the 48\.8 KiB cap; largest: big\.bin/,
    );
  });

  it('says when the folder does not exist', async () => {
    await expect(packWorkingDir('/nonexistent/troupe-dir')).rejects.toThrow(
      /the working directory \/nonexistent\/troupe-dir does not exist/,
    );
  });
});

describe('unpacking a job package safely', () => {
  const cases: Array<[string, Parameters<typeof rawTar>[0], RegExp]> = [
    [
      'a path with ..',
      [
        { path: 'ok.txt', data: 'ok' },
        { path: '../x', data: 'evil' },
      ],
      /the entry "\.\.\/x" has a "\.\." in its path/,
    ],
    ['a path with .. in the middle', [{ path: 'a/../../x', data: 'evil' }], /has a "\.\." in its path/],
    [
      'an absolute path',
      [{ path: '/tmp/troupe-evil-abs', data: 'evil' }],
      /the entry "\/tmp\/troupe-evil-abs" has an absolute path/,
    ],
    [
      'a link to an absolute path',
      [{ path: 'l', type: 'SymbolicLink', linkpath: '/etc' }],
      /the link "l" points to "\/etc", outside the job's folder/,
    ],
    [
      'a link that climbs out',
      [{ path: 'sub/l', type: 'SymbolicLink', linkpath: '../../x' }],
      /the link "sub\/l" points to "\.\.\/\.\.\/x", outside/,
    ],
    [
      'a chain of links that leaves the folder',
      [
        { path: 'l', type: 'SymbolicLink', linkpath: '.' },
        { path: 'm', type: 'SymbolicLink', linkpath: 'l/..' },
      ],
      /the link "m" resolves to .*, outside the job's folder/,
    ],
    [
      'a hard link to outside',
      [{ path: 'h', type: 'Link', linkpath: '../x' }],
      /the hard link "h" points to "\.\.\/x", outside/,
    ],
    [
      'a device',
      [{ path: 'dev', type: 'CharacterDevice' }],
      /is a CharacterDevice; only files, folders and links are allowed/,
    ],
    [
      'an entry written through a file',
      [
        { path: 'f', data: 'x' },
        { path: 'f/g', data: 'y' },
      ],
      /goes through "f", which is a file/,
    ],
    [
      'the same file twice',
      [
        { path: 'a', data: '1' },
        { path: 'a', data: '2' },
      ],
      /the entry "a" appears twice/,
    ],
  ];
  for (const [what, entries, message] of cases) {
    it(`refuses ${what}, and writes nothing outside its folder`, async () => {
      const root = tmp();
      mkdirSync(path.join(root, 'jail'));
      const dest = path.join(root, 'jail', 'job');
      await expect(unpackPackage(rawTar(entries), dest)).rejects.toThrow(message);
      expect(readdirSync(root)).toEqual(['jail']);
      expect(readdirSync(path.join(root, 'jail'))).toEqual([]); // the job folder was removed again
      expect(existsSync('/tmp/troupe-evil-abs')).toBe(false);
    });
  }

  it('refuses what is not a tar.gz, and oversize contents', async () => {
    const root = tmp();
    await expect(unpackPackage(Buffer.from('not a tarball at all'), path.join(root, 'a'))).rejects.toThrow(
      /the job package was refused: it is not a valid tar\.gz archive/,
    );
    await expect(
      unpackPackage(rawTar([{ path: 'big', data: 'x'.repeat(5000) }]), path.join(root, 'b'), {
        maxUnpackedBytes: 1000,
      }),
    ).rejects.toThrow(/unpacks to more than 1000 B/);
    await expect(
      unpackPackage(rawTar([{ path: 'a' }, { path: 'b' }, { path: 'c' }]), path.join(root, 'c'), { maxEntries: 2 }),
    ).rejects.toThrow(/more than 2 entries/);
  });

  it('refuses a tar.gz inside the gzip (its expansion would not be counted) and a hard link to a folder', async () => {
    const root = tmp();
    const twice = gzipSync(rawTar([{ path: 'a', data: 'x' }]));
    await expect(unpackPackage(twice, path.join(root, 'a'))).rejects.toThrow(/it is compressed twice/);
    await expect(
      unpackPackage(
        rawTar([
          { path: 'd/', type: 'Directory' },
          { path: 'h', type: 'Link', linkpath: 'd' },
        ]),
        path.join(root, 'b'),
      ),
    ).rejects.toThrow(/the hard link "h" points to "d", which is not an earlier file of the package/);
    expect(readdirSync(root)).toEqual([]);
  });

  it('unpacks links inside the folder and hard links to earlier files', async () => {
    const dest = path.join(tmp(), 'job');
    await unpackPackage(
      rawTar([
        { path: 'dir/', type: 'Directory' },
        { path: 'dir/a.txt', data: 'A' },
        { path: 'to-dir', type: 'SymbolicLink', linkpath: 'dir' },
        { path: 'to-dir/b.txt', data: 'B' },
        { path: 'hard.txt', type: 'Link', linkpath: 'dir/a.txt' },
      ]),
      dest,
    );
    expect(readFileSync(path.join(dest, 'dir/b.txt'), 'utf8')).toBe('B');
    expect(readFileSync(path.join(dest, 'hard.txt'), 'utf8')).toBe('A');
  });
});
