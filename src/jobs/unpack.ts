/**
 * Unpacks a job's working directory so that nothing lands outside `dest`, streaming: the package is
 * gunzipped in small slices into the tar parser and each file's bytes go straight to disk, with a
 * running count of the bytes that come out, so memory stays bounded whatever the archive claims and a
 * decompression bomb is refused as soon as it passes the budget (total size, or ratio to the package).
 * Every entry is checked before it is written (no absolute paths, no `..`, no links whose target
 * leaves the folder, only files, folders and links, an entry count cap), every parent folder is
 * resolved on disk and must still be inside `dest` (links between entries cannot be used to write
 * elsewhere), and files are created with O_EXCL, so nothing already there (a link planted by an
 * earlier entry) is written through. A bad archive is refused as a whole: the folder is removed again.
 */
import {
  closeSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { InvalidArgumentError, TroupeError } from '../common/index.js';
import { DEFAULT_MAX_UNPACKED_BYTES, MAX_PACKAGE_ENTRIES, formatBytes } from './types.js';

export interface UnpackOptions {
  /** Largest sum of file sizes. Default 1 GiB. */
  maxUnpackedBytes?: number;
  /** Most entries (files, folders, links). Default 100,000. */
  maxEntries?: number;
  /**
   * Largest ratio of the decompressed tar stream to the package's size (past the first 16 MiB,
   * which any package may reach). Default 100: source and data compress 3-20 times, a bomb ~1000.
   */
  maxRatio?: number;
}

/** Packages decompress this far whatever their ratio (a small package of text may well reach 100:1). */
const RATIO_FREE_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_RATIO = 100;
/** Compressed bytes handed to gunzip at a time; its output comes in chunks of the same size. */
const SLICE_BYTES = 64 * 1024;

const refuse = (why: string): InvalidArgumentError =>
  new InvalidArgumentError(`the job package was refused: ${why}`, { context: { field: 'package' } });

/** The '/'-separated relative form of an archive path, or why it is not allowed. */
export function archivePathProblem(raw: string): string | undefined {
  if (!raw) return 'an entry has an empty path';
  if (raw.includes('\0')) return `the path ${JSON.stringify(raw)} holds a NUL byte`;
  if (raw.startsWith('/') || raw.startsWith('\\') || /^[A-Za-z]:/.test(raw))
    return `the entry ${JSON.stringify(raw)} has an absolute path`;
  if (raw.split(/[\\/]+/).includes('..')) return `the entry ${JSON.stringify(raw)} has a ".." in its path`;
  return undefined;
}

function normalize(raw: string): string {
  return raw
    .split(/[\\/]+/)
    .filter((p) => p !== '' && p !== '.')
    .join('/');
}

const inside = (root: string, p: string): boolean => p === root || p.startsWith(root + path.sep);

/**
 * Resolves the folder `relDir` below `root` on disk, creating what is missing, and checks that
 * every step (links included) stays inside `root`.
 */
function ensureDir(root: string, relDir: string): string {
  let cur = root;
  for (const part of relDir ? relDir.split('/') : []) {
    const next = path.join(cur, part);
    const st = lstatSync(next, { throwIfNoEntry: false });
    if (!st) {
      mkdirSync(next, { mode: 0o755 });
      cur = next;
    } else if (st.isDirectory()) {
      cur = next;
    } else if (st.isSymbolicLink()) {
      const real = realpathSync.native(next);
      if (!inside(root, real) || !lstatSync(real).isDirectory())
        throw refuse(`the path ${JSON.stringify(relDir)} goes through a link that leaves the job's folder`);
      cur = real;
    } else {
      throw refuse(
        `the path ${JSON.stringify(relDir)} goes through ${JSON.stringify(path.relative(root, next))}, which is a file`,
      );
    }
  }
  return cur;
}

const parentOf = (rel: string): string => (path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));

/** What is wrong with an entry's path or type (before anything of it is written), or undefined. */
function entryProblem(e: ReadEntry, type: string): string | undefined {
  return (
    archivePathProblem(e.path) ??
    (type === 'File' || type === 'Directory' || type === 'SymbolicLink' || type === 'Link'
      ? undefined
      : `the entry ${JSON.stringify(e.path)} is a ${e.type}; only files, folders and links are allowed`)
  );
}

function symlinkProblem(rel: string, linkpath: string): string | undefined {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), linkpath.replace(/\\/g, '/')));
  const outside =
    !linkpath ||
    path.posix.isAbsolute(linkpath) ||
    /^[A-Za-z]:/.test(linkpath) ||
    target === '..' ||
    target.startsWith('../');
  return outside
    ? `the link ${JSON.stringify(rel)} points to ${JSON.stringify(linkpath)}, outside the job's folder`
    : undefined;
}

/** One unpacking: the entries seen so far, the files written and the byte counts. */
class PackageWriter {
  failed: Error | undefined;
  entries = 0;
  bytes = 0;
  private readonly seen = new Set<string>();
  /** Files written, by archive path, to their place on disk (what hard links may point to). */
  private readonly files = new Map<string, string>();
  readonly links: string[] = [];
  private fd = -1;
  private readonly maxBytes: number;
  private readonly maxEntries: number;

  constructor(
    private readonly root: string,
    options: UnpackOptions,
    private readonly onFail: (err: Error) => void,
  ) {
    this.maxBytes = options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
    this.maxEntries = options.maxEntries ?? MAX_PACKAGE_ENTRIES;
  }

  fail(err: Error): void {
    if (this.failed) return;
    this.failed = err instanceof TroupeError ? err : refuse(err.message);
    this.closeFile();
    this.onFail(this.failed);
  }

  entry(e: ReadEntry): void {
    try {
      if (this.failed) return void e.resume();
      this.start(e);
    } catch (err) {
      this.fail(err as Error);
      e.resume();
    }
  }

  private start(e: ReadEntry): void {
    const type = e.type === 'OldFile' || e.type === 'ContiguousFile' ? 'File' : e.type;
    const problem = entryProblem(e, type);
    if (problem) throw refuse(problem);
    const rel = normalize(e.path);
    if (++this.entries > this.maxEntries) throw refuse(`it holds more than ${this.maxEntries} entries`);
    if (rel && type !== 'Directory' && this.seen.has(rel))
      throw refuse(`the entry ${JSON.stringify(rel)} appears twice`);
    this.seen.add(rel);
    const linkpath = e.linkpath ?? '';
    if (type === 'SymbolicLink') {
      const bad = symlinkProblem(rel, linkpath);
      if (bad) throw refuse(bad);
    }
    const source = type === 'Link' ? this.files.get(normalize(linkpath)) : undefined;
    if (type === 'Link' && !source) {
      const outside = archivePathProblem(linkpath) !== undefined;
      throw refuse(
        `the hard link ${JSON.stringify(rel)} points to ${JSON.stringify(linkpath)}, ${outside ? "outside the job's folder" : 'which is not an earlier file of the package'}`,
      );
    }
    if (!rel) return void e.resume(); // the root folder itself
    const dir = ensureDir(this.root, type === 'Directory' ? rel : parentOf(rel));
    const target = path.join(dir, path.posix.basename(rel));
    if (type === 'Directory') return void e.resume();
    if (type === 'SymbolicLink') {
      symlinkSync(linkpath, target);
      this.links.push(target);
      return void e.resume();
    }
    if (source) {
      // link() does not follow links and fails on anything already at `target`.
      linkSync(source, target);
      return void e.resume();
    }
    // 'wx': O_CREAT | O_EXCL, never writes through something already there (a link included).
    this.fd = openSync(target, 'wx', ((e.mode ?? 0o644) & 0o755) | 0o600);
    this.files.set(rel, target);
    e.on('data', (c: Buffer) => this.write(c));
    e.on('end', () => this.closeFile());
  }

  private write(c: Buffer): void {
    if (this.failed) return;
    this.bytes += c.length;
    if (this.bytes > this.maxBytes) {
      this.fail(refuse(`it unpacks to more than ${formatBytes(this.maxBytes)}`));
      return;
    }
    try {
      for (let off = 0; off < c.length; ) off += writeSync(this.fd, c, off, c.length - off);
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private closeFile(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** The package in slices, so that gunzip never holds more than one slice's output at a time. */
function* slices(bytes: Buffer): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += SLICE_BYTES) yield bytes.subarray(i, i + SLICE_BYTES);
}

/**
 * Unpacks `bytes` (a tar.gz) into `dest`, which must not exist yet or be empty. On any problem the
 * folder is removed again and an InvalidArgumentError says what was wrong.
 */
export async function unpackPackage(
  bytes: Buffer,
  dest: string,
  options: UnpackOptions = {},
): Promise<{ entries: number; bytes: number }> {
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  const root = realpathSync.native(dest);
  const maxRatio = options.maxRatio ?? DEFAULT_MAX_RATIO;
  const budget = Math.max(RATIO_FREE_BYTES, maxRatio * bytes.length);
  let onFail: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    onFail = reject;
  });
  failed.catch(() => undefined);
  const writer = new PackageWriter(root, options, (err) => onFail(err));
  // Brotli and zstd stay off: the package is gunzipped here, where its output is counted.
  const parser = new Parser({
    strict: true,
    brotli: false,
    zstd: false,
    onwarn: (_code: string, message: string | Error) =>
      writer.fail(
        refuse(`it is not a valid tar.gz archive (${typeof message === 'string' ? message : message.message})`),
      ),
  });
  parser.on('entry', (e: ReadEntry) => writer.entry(e));
  parser.on('error', (err: Error) => writer.fail(refuse(`it is not a valid tar.gz archive (${err.message})`)));
  const parsed = new Promise<void>((resolve) => parser.on('end', () => resolve()));
  let out = 0;
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      if (out === 0 && chunk[0] === 0x1f && chunk[1] === 0x8b)
        writer.fail(refuse('it is compressed twice (a tar.gz inside the gzip)'));
      out += chunk.length;
      if (out > budget && !writer.failed)
        writer.fail(
          refuse(
            `it decompresses to more than ${formatBytes(budget)} from ${formatBytes(bytes.length)}, past the ` +
              `${maxRatio}:1 decompression ratio allowed (a file of zeros or a decompression bomb? ` +
              'leave large repetitive files out with .troupeignore)',
          ),
        );
      if (writer.failed) return cb(writer.failed);
      if (parser.write(chunk)) cb();
      else parser.once('drain', () => cb());
    },
    final(cb) {
      parser.end();
      cb();
    },
  });
  try {
    await Promise.race([
      failed,
      pipeline(Readable.from(slices(bytes)), createGunzip({ chunkSize: SLICE_BYTES }), sink),
    ]);
    await Promise.race([failed, parsed]);
    if (writer.failed) throw writer.failed;
    // Link chains can leave the folder even when each target looks inside on its own (l -> ., m -> l/..);
    // the libc realpath follows them as the kernel does (Node's JS one resolves '..' lexically).
    for (const l of writer.links) {
      let real: string;
      try {
        real = realpathSync.native(l);
      } catch {
        continue; // dangling: points at nothing, inside the folder by the check above
      }
      if (!inside(root, real))
        throw refuse(
          `the link ${JSON.stringify(path.relative(root, l))} resolves to ${real}, outside the job's folder`,
        );
    }
  } catch (err) {
    // What is not ours came from gunzip or the parser.
    if (!(err instanceof TroupeError))
      writer.fail(refuse(`it is not a valid tar.gz archive (${(err as Error).message})`));
    writer.fail(err as Error);
    rmSync(root, { recursive: true, force: true });
    throw writer.failed;
  }
  return { entries: writer.entries, bytes: writer.bytes };
}
