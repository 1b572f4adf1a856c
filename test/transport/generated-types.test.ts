/**
 * src/generated is what `npm run gen` writes from proto/: regenerating it into a temporary folder
 * must give the committed files byte for byte, so a changed .proto cannot ship with stale types.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const COMMITTED = path.join(ROOT, 'src', 'generated');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'troupe-gen-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Every file under `dir`, as paths relative to it. */
function files(dir: string, under = ''): string[] {
  return readdirSync(path.join(dir, under))
    .flatMap((name) => {
      const rel = path.join(under, name);
      return statSync(path.join(dir, rel)).isDirectory() ? files(dir, rel) : [rel];
    })
    .sort();
}

describe('generated wire types', () => {
  it('src/generated matches what npm run gen writes from proto/', () => {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'gen-wire-types.mjs'), tmp], { cwd: ROOT });
    const fresh = files(tmp);
    const committed = files(COMMITTED);
    const missing = fresh.filter((f) => !committed.includes(f));
    const extra = committed.filter((f) => !fresh.includes(f));
    const stale = fresh.filter(
      (f) => committed.includes(f) && !readFileSync(path.join(tmp, f)).equals(readFileSync(path.join(COMMITTED, f))),
    );
    const problems = [
      ...missing.map((f) => `src/generated/${f} is missing`),
      ...extra.map((f) => `src/generated/${f} has no proto behind it any more`),
      ...stale.map((f) => `src/generated/${f} is stale`),
    ];
    expect(problems, 'run `npm run gen` and commit src/generated').toEqual([]);
    expect(fresh.length).toBeGreaterThan(0);
  });
});
