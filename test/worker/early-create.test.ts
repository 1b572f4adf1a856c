/**
 * A wrong class name is reported after one module load, not after a whole actor host start: a
 * starting host takes the create order at once and imports the actor's module while Troupe's own
 * modules (gRPC, the protos: most of a start) still load. A module hook holds the host's import of
 * actor-host.js until the test lets it go, so "before the host has loaded" is a fact, not a time.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModuleLoadError } from '../../src/index.js';
import { HostProcess, hostExecArgv } from '../../src/worker/host-process.js';
import { ACTORS } from '../fixtures/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-early-create-'));
const HOLD = path.join(dir, 'hold');
const HOOKS = [
  "import { existsSync } from 'node:fs';",
  'export async function resolve(specifier, context, next) {',
  '  if (/(^|\\/)actor-host\\.[jt]s$/.test(specifier)) {',
  '    while (existsSync(process.env.TROUPE_TEST_HOLD)) await new Promise((r) => setTimeout(r, 20));',
  '  }',
  '  return next(specifier, context);',
  '}',
].join('\n');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a starting actor host', () => {
  it('reports a wrong class, naming it and the module’s exports, before its own modules have loaded', async () => {
    writeFileSync(path.join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(
      path.join(dir, 'register.mjs'),
      "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
    );
    mkdirSync(path.join(dir, 'logs'));
    writeFileSync(HOLD, '');
    const t0 = performance.now();
    const host = new HostProcess(
      {
        token: 'test-token',
        headAddress: '127.0.0.1:1',
        bindHost: '127.0.0.1',
        logDir: path.join(dir, 'logs'),
        maxMessageBytes: 1 << 20,
        execArgv: hostExecArgv([], ['--import', path.join(dir, 'register.mjs')]),
        env: { TROUPE_TEST_HOLD: HOLD },
      },
      false,
    );
    try {
      let heldWhenSettled: boolean | undefined;
      const created = host
        .create({
          actorId: 'a1',
          module: ACTORS.href,
          exportName: 'Countr',
          args: new Uint8Array(),
          maxConcurrency: 1,
          shared: false,
          scope: { nodeId: 'node-1', namespace: 'default', jobId: '', numRestarts: 0, resources: {}, gpuIds: [] },
          env: {},
        })
        .then(
          () => new Error('a missing class was created'),
          (err: Error) => err,
        )
        .finally(() => {
          heldWhenSettled = existsSync(HOLD);
        });
      // Let the host go after the answer, or after a while if none comes (before the fix it could not come).
      const release = setTimeout(() => rmSync(HOLD, { force: true }), 20_000);
      const err = await created;
      const failedMs = performance.now() - t0;
      rmSync(HOLD, { force: true });
      clearTimeout(release);
      await host.ready;
      console.log(
        `wrong class reported ${failedMs.toFixed(0)} ms after fork; the host served ` +
          `${(performance.now() - t0).toFixed(0)} ms after fork (held by the hook until the answer came)`,
      );
      expect(err).toBeInstanceOf(ModuleLoadError);
      expect(err.message).toContain(`module ${ACTORS.href} has no class export 'Countr'`);
      expect(err.message).toMatch(/its exported functions and classes are: .*\bCounter\b/);
      expect(heldWhenSettled, 'the answer waited for the host to load its own modules').toBe(true);
      expect(host.port).toBeGreaterThan(0);
    } finally {
      rmSync(HOLD, { force: true });
      host.kill();
      await host.exited;
    }
  }, 60_000);
});
