/**
 * Packs a job's working directory into a gzipped tar held in memory, after checking what it holds:
 * nothing ignored, no link pointing out of the folder (the head would refuse it), and the size caps,
 * with an error that names the largest entries when a cap is exceeded.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import path from 'node:path';
import { create } from 'tar';
import { InvalidArgumentError } from '../common/index.js';
import { IgnoreRules, IGNORE_FILE } from './ignore.js';
import { DEFAULT_MAX_PACKAGE_BYTES, DEFAULT_MAX_UNPACKED_BYTES, MAX_PACKAGE_ENTRIES, formatBytes } from './types.js';

export interface PackOptions {
  /** Largest packed (gzipped) size. Default 100 MiB. */
  maxPackageBytes?: number;
  /** Largest sum of file sizes. Default 1 GiB. */
  maxUnpackedBytes?: number;
}

export interface Package {
  bytes: Buffer;
  /** Hex SHA-256 of `bytes`. */
  packageId: string;
  files: number;
  unpackedBytes: number;
}

interface Listed {
  rel: string;
  size: number;
}

/** The entries of `root` to pack, '/'-separated and relative, folders before what they hold. */
export function listWorkingDir(root: string): Listed[] {
  const st = statSync(root, { throwIfNoEntry: false });
  if (!st?.isDirectory()) {
    throw new InvalidArgumentError(`the working directory ${root} ${st ? 'is not a folder' : 'does not exist'}`, {
      context: { field: 'workingDir' },
    });
  }
  const rules = IgnoreRules.forDir(root);
  const out: Listed[] = [];
  const walk = (relDir: string): void => {
    const entries = readdirSync(path.join(root, relDir), { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    for (const e of entries) {
      const rel = relDir ? `${relDir}/${e.name}` : e.name;
      const full = path.join(root, rel);
      const isDir = e.isDirectory();
      if (rules.ignores(rel, isDir)) continue;
      if (out.length >= MAX_PACKAGE_ENTRIES) {
        throw new InvalidArgumentError(
          `the working directory ${root} holds more than ${MAX_PACKAGE_ENTRIES} entries; list what the job does not need in ${IGNORE_FILE}`,
          {
            context: { field: 'workingDir' },
          },
        );
      }
      if (e.isSymbolicLink()) {
        const target = readlinkSync(full);
        const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(rel), target));
        if (path.isAbsolute(target) || resolved === '..' || resolved.startsWith('../')) {
          throw new InvalidArgumentError(
            `${rel} in the working directory is a link to ${target}, outside the folder; the head refuses such links (copy the file in, or list it in ${IGNORE_FILE})`,
            { context: { field: 'workingDir' } },
          );
        }
        out.push({ rel, size: 0 });
      } else if (isDir) {
        out.push({ rel, size: 0 });
        walk(rel);
      } else if (e.isFile()) {
        out.push({ rel, size: lstatSync(full).size });
      }
      // Sockets, FIFOs and devices are left out: a job cannot use them from another machine.
    }
  };
  walk('');
  return out;
}

function largest(list: Listed[]): string {
  return [...list]
    .sort((a, b) => b.size - a.size)
    .slice(0, 5)
    .map((e) => `${e.rel} (${formatBytes(e.size)})`)
    .join(', ');
}

/** Packs `root` (see the module comment); throws InvalidArgumentError naming the cap and the largest files. */
export async function packWorkingDir(root: string, options: PackOptions = {}): Promise<Package> {
  const maxPackage = options.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  const maxUnpacked = options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES;
  const list = listWorkingDir(root);
  const unpackedBytes = list.reduce((s, e) => s + e.size, 0);
  if (unpackedBytes > maxUnpacked) {
    throw new InvalidArgumentError(
      `the working directory ${root} holds ${formatBytes(unpackedBytes)}, over the ${formatBytes(maxUnpacked)} cap; largest: ${largest(list)}. List what the job does not need in ${IGNORE_FILE}`,
      { context: { field: 'workingDir' } },
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  // Folders are listed themselves (noDirRecurse), so ignored files inside them stay out.
  const stream = create(
    { gzip: true, cwd: root, portable: true, noDirRecurse: true, follow: false },
    list.map((e) => e.rel),
  );
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxPackage) {
      throw new InvalidArgumentError(
        `the working directory ${root} packs to more than the ${formatBytes(maxPackage)} cap; largest: ${largest(list)}. List what the job does not need in ${IGNORE_FILE}`,
        { context: { field: 'workingDir' } },
      );
    }
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  return { bytes, packageId: createHash('sha256').update(bytes).digest('hex'), files: list.length, unpackedBytes };
}
