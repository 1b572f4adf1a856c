/**
 * TROUPE_REQUIRE_FULL=1 (set by .ci/run) turns every skip for a missing system component into a
 * failure naming the package; without it the same run passes and prints one line per skip. Checked
 * on a child vitest over test/fixtures/requirements-probe.ts, whose one component never exists.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const vitest = path.join(path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const dir = mkdtempSync(path.join(tmpdir(), 'troupe-require-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runProbe(env: Record<string, string | undefined>): { status: number | null; out: string } {
  const config = path.join(dir, 'vitest.config.mjs');
  const probe = path.join(root, 'test/fixtures/requirements-probe.ts');
  writeFileSync(
    config,
    `export default { test: { root: ${JSON.stringify(root)}, include: [${JSON.stringify(probe)}] } };\n`,
  );
  const { TROUPE_REQUIRE_FULL: _, ...rest } = process.env;
  const run = spawnSync(process.execPath, [vitest, 'run', '--config', config], {
    cwd: root,
    encoding: 'utf8',
    env: { ...rest, ...env, NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 60_000,
  });
  return { status: run.status, out: `${run.stdout}\n${run.stderr}` };
}

describe('TROUPE_REQUIRE_FULL', () => {
  it('unset: a missing component skips its tests with one line naming the package, and the run passes', () => {
    const { status, out } = runProbe({});
    expect(status, out).toBe(0);
    expect(out).toContain(
      '[troupe tests] SKIPPED the absent part: the probe is never installed (apt-get install troupe-probe-package)',
    );
    expect(out).toMatch(/Tests\s+2 passed \| 1 skipped/);
  }, 70_000);

  it('=1: the same run fails, with a failing test that names the package', () => {
    const { status, out } = runProbe({ TROUPE_REQUIRE_FULL: '1' });
    expect(status, out).toBe(1);
    expect(out).toContain('the absent part needs troupe-probe-package');
    expect(out).toContain(
      'TROUPE_REQUIRE_FULL=1 and the absent part cannot run: the probe is never installed (apt-get install troupe-probe-package)',
    );
    expect(out).not.toContain('ran a test whose component is missing');
    expect(out).toMatch(/Tests\s+1 failed \| 2 passed \| 1 skipped/);
  }, 70_000);
});
