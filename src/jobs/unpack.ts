/**
 * Unpacks a job's working directory so that nothing lands outside `dest`: every entry is checked
 * before anything is written (no absolute paths, no `..`, no links whose target leaves the folder,
 * only files, folders and links, size and count caps), a bad archive is refused as a whole, and
 * while writing every parent folder is resolved on disk and must still be inside `dest` (links
 * between entries cannot be used to write elsewhere). Files are created with O_EXCL, so nothing
 * already there (a link planted by an earlier entry) is written through.
 */
import { lstatSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { InvalidArgumentError } from '../common/index.js';
import { DEFAULT_MAX_UNPACKED_BYTES, MAX_PACKAGE_ENTRIES, formatBytes } from './types.js';

export interface UnpackOptions {
  maxUnpackedBytes?: number;
  maxEntries?: number;
}

interface Entry {
  rel: string;
  type: 'File' | 'Directory' | 'SymbolicLink' | 'Link';
  mode: number;
  linkpath: string;
  data: Buffer;
}

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

/** Parses the whole archive into memory, refusing it at the first bad entry. */
export function readPackage(bytes: Buffer, options: UnpackOptions = {}): Promise<Entry[]> {
  const maxBytes = options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
  const maxEntries = options.maxEntries ?? MAX_PACKAGE_ENTRIES;
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    const seen = new Set<string>();
    let total = 0;
    let count = 0;
    let failed: Error | undefined;
    const fail = (err: Error): void => {
      if (!failed) {
        failed = err;
        reject(err);
      }
    };
    const parser = new Parser({
      strict: true,
      onwarn: (_code: string, message: string | Error) =>
        fail(refuse(`it is not a valid tar.gz archive (${typeof message === 'string' ? message : message.message})`)),
    });
    parser.on('entry', (e: ReadEntry) => {
      if (failed) return e.resume();
      const type = e.type === 'OldFile' || e.type === 'ContiguousFile' ? 'File' : e.type;
      const problem =
        archivePathProblem(e.path) ??
        (type === 'File' || type === 'Directory' || type === 'SymbolicLink' || type === 'Link'
          ? undefined
          : `the entry ${JSON.stringify(e.path)} is a ${e.type}; only files, folders and links are allowed`);
      if (problem) {
        fail(refuse(problem));
        return e.resume();
      }
      const rel = normalize(e.path);
      if (++count > maxEntries) {
        fail(refuse(`it holds more than ${maxEntries} entries`));
        return e.resume();
      }
      if (rel && type !== 'Directory' && seen.has(rel)) {
        fail(refuse(`the entry ${JSON.stringify(rel)} appears twice`));
        return e.resume();
      }
      seen.add(rel);
      const linkpath = e.linkpath ?? '';
      if (type === 'SymbolicLink') {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), linkpath.replace(/\\/g, '/')));
        if (
          !linkpath ||
          path.posix.isAbsolute(linkpath) ||
          /^[A-Za-z]:/.test(linkpath) ||
          target === '..' ||
          target.startsWith('../')
        ) {
          fail(
            refuse(`the link ${JSON.stringify(rel)} points to ${JSON.stringify(linkpath)}, outside the job's folder`),
          );
          return e.resume();
        }
      }
      if (type === 'Link') {
        const bad = archivePathProblem(linkpath);
        if (bad || !seen.has(normalize(linkpath))) {
          fail(
            refuse(
              `the hard link ${JSON.stringify(rel)} points to ${JSON.stringify(linkpath)}, ${bad ? "outside the job's folder" : 'which is not an earlier file of the package'}`,
            ),
          );
          return e.resume();
        }
      }
      const chunks: Buffer[] = [];
      e.on('data', (c: Buffer) => {
        total += c.length;
        if (total > maxBytes) fail(refuse(`it unpacks to more than ${formatBytes(maxBytes)}`));
        else if (!failed) chunks.push(c);
      });
      e.on('end', () => {
        entries.push({
          rel,
          type: type as Entry['type'],
          mode: e.mode ?? 0o644,
          linkpath,
          data: Buffer.concat(chunks),
        });
      });
    });
    parser.on('end', () => {
      if (!failed) resolve(entries);
    });
    parser.on('error', (err: Error) => fail(refuse(`it is not a valid tar.gz archive (${err.message})`)));
    parser.end(bytes);
  });
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

/**
 * Unpacks `bytes` (a tar.gz) into `dest`, which must not exist yet or be empty. On any problem the
 * folder is removed again and an InvalidArgumentError says what was wrong.
 */
export async function unpackPackage(
  bytes: Buffer,
  dest: string,
  options: UnpackOptions = {},
): Promise<{ entries: number; bytes: number }> {
  const entries = await readPackage(bytes, options);
  mkdirSync(dest, { recursive: true, mode: 0o700 });
  const root = realpathSync.native(dest);
  const links: string[] = [];
  let written = 0;
  try {
    for (const e of entries) {
      if (!e.rel) continue; // the root folder itself
      const dir = ensureDir(
        root,
        e.type === 'Directory' ? e.rel : path.posix.dirname(e.rel) === '.' ? '' : path.posix.dirname(e.rel),
      );
      if (e.type === 'Directory') continue;
      const target = path.join(dir, path.posix.basename(e.rel));
      if (e.type === 'SymbolicLink') {
        symlinkSync(e.linkpath, target);
        links.push(target);
        continue;
      }
      const data =
        e.type === 'Link' ? entries.find((x) => x.rel === normalize(e.linkpath) && x.type === 'File')?.data : e.data;
      if (!data) throw refuse(`the hard link ${JSON.stringify(e.rel)} does not point to a file`);
      // 'wx': O_CREAT | O_EXCL, never writes through something already there (a link included).
      writeFileSync(target, data, { flag: 'wx', mode: (e.mode & 0o755) | 0o600 });
      written += data.length;
    }
    // Link chains can leave the folder even when each target looks inside on its own (l -> ., m -> l/..);
    // the libc realpath follows them as the kernel does (Node's JS one resolves '..' lexically).
    for (const l of links) {
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
    rmSync(root, { recursive: true, force: true });
    if (err instanceof InvalidArgumentError) throw err;
    throw refuse((err as Error).message);
  }
  return { entries: entries.length, bytes: written };
}
