/**
 * Unpacking stays within bounded memory whatever the archive expands to: a 1 MiB tar.gz holding a
 * 1 GiB file of zeros is refused by a process whose peak RSS stays under 100 MB (it was 1.1 GB when
 * the unpacker held each file whole). The unpacking runs in a plain `node` process of its own on the
 * built library (dist/), so that its peak RSS is its own and not vitest's or tsx's.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeZeroBomb } from '../fixtures/raw-tar.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The unpacker alone (the jobs door would load gRPC too, 30 MB more of baseline).
const JOBS = pathToFileURL(path.join(ROOT, 'dist/src/jobs/unpack.js')).href;
const GiB = 1024 ** 3;
const MB = 1e6;

interface Outcome {
  error: string;
  packageBytes: number;
  /** Peak RSS before the package was read and unpacked (Node and the library loaded), and at the end. */
  loaded: number;
  peak: number;
}

/** Unpacks `file` into `dest` in a fresh node process; its peak RSS from process.resourceUsage(). */
function unpackInChild(file: string, dest: string, options: object = {}): Promise<Outcome> {
  const script = `
import { readFileSync } from 'node:fs';
const { unpackPackage } = await import(${JSON.stringify(JOBS)});
const loaded = process.resourceUsage().maxRSS * 1024;
const bytes = readFileSync(${JSON.stringify(file)});
let error = '';
try { await unpackPackage(bytes, ${JSON.stringify(dest)}, ${JSON.stringify(options)}); } catch (err) { error = err.message; }
process.stdout.write(JSON.stringify({ error, packageBytes: bytes.length, loaded, peak: process.resourceUsage().maxRSS * 1024 }));
`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Outcome),
    );
  });
}

describe('unpacking a decompression bomb', () => {
  let dir: string;
  let bomb: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-bomb-'));
    bomb = path.join(dir, 'zeros.tgz');
    const size = await writeZeroBomb(bomb, GiB);
    expect(size).toBeLessThan(2 * 1024 * 1024);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a 1 MiB tar.gz of a 1 GiB file of zeros at its ratio, in under 100 MB of memory', async () => {
    const dest = path.join(dir, 'ratio');
    const r = await unpackInChild(bomb, dest);
    console.log(
      `ratio bomb: package ${(r.packageBytes / MB).toFixed(2)} MB, peak RSS ${(r.peak / MB).toFixed(1)} MB ` +
        `(${(r.loaded / MB).toFixed(1)} MB with the library loaded)`,
    );
    expect(r.error).toMatch(
      /the job package was refused: it decompresses to more than .* past the 100:1 decompression ratio/,
    );
    expect(r.peak).toBeLessThan(100 * MB);
    expect(existsSync(dest)).toBe(false); // removed again
  }, 120_000);

  it('refuses it at the size cap when the ratio is lifted, still in under 100 MB', async () => {
    const dest = path.join(dir, 'size');
    const r = await unpackInChild(bomb, dest, { maxRatio: 1e9, maxUnpackedBytes: 300 * 1024 * 1024 });
    console.log(`size cap: peak RSS ${(r.peak / MB).toFixed(1)} MB after writing 300 MiB`);
    expect(r.error).toMatch(/the job package was refused: it unpacks to more than 300\.0 MiB/);
    expect(r.peak).toBeLessThan(100 * MB);
    expect(readdirSync(dir)).toEqual(['zeros.tgz']);
  }, 120_000);
});
