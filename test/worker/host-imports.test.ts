/**
 * An actor host process starts light: it loads neither zod (the option schemas, ~60 ms), the head,
 * nor the state store. Every host start pays for its imports, and a slow start shows up as a
 * slower warm-pool refill. The modules are recorded by a module hook while the built host module
 * is imported.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-host-imports-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedBy(module: string): Promise<string[]> {
  writeFileSync(
    path.join(dir, 'hooks.mjs'),
    "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) {\n" +
      '  appendFileSync(process.env.LOADED_LOG, url + "\\n");\n  return next(url, context);\n}\n',
  );
  writeFileSync(
    path.join(dir, 'register.mjs'),
    "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n",
  );
  const log = path.join(dir, `${path.basename(module)}.log`);
  const url = pathToFileURL(path.join(ROOT, module)).href;
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', './register.mjs', '--input-type=module', '-e', `await import(${JSON.stringify(url)});`],
      { cwd: dir, env: { ...process.env, LOADED_LOG: log }, timeout: 30_000 },
      (err, _o, stderr) =>
        err
          ? reject(new Error(`${err.message}\n${stderr}`))
          : resolve(readFileSync(log, 'utf8').split('\n').filter(Boolean)),
    ),
  );
}

describe('an actor host', () => {
  it('loads neither zod, the head nor the state store', async () => {
    expect(existsSync(path.join(ROOT, 'dist/src/worker/actor-host.js')), 'run `npm run build` first').toBe(true);
    const loaded = await loadedBy('dist/src/worker/actor-host.js');
    expect(loaded.some((u) => u.includes('/dist/src/worker/call-stream.js'))).toBe(true);
    expect(loaded.filter((u) => /\/node_modules\/zod\/|\/dist\/src\/(head|state|options)\//.test(u))).toEqual([]);
  });

  it('(control) the client does load zod, for its option schemas', async () => {
    const loaded = await loadedBy('dist/src/client/index.js');
    expect(loaded.some((u) => u.includes('/node_modules/zod/'))).toBe(true);
  });
});
