/**
 * An actor host process starts light: it loads neither zod (the option schemas, ~60 ms), the head,
 * nor the state store. Every host start pays for its imports, and a slow start shows up as a
 * slower warm-pool refill. The modules are recorded by a module hook while the built host module
 * is imported.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { modulesLoadedBy } from '../fixtures/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const loadedBy = (module: string): Promise<string[]> =>
  modulesLoadedBy([
    '--input-type=module',
    '-e',
    `await import(${JSON.stringify(pathToFileURL(path.join(ROOT, module)).href)});`,
  ]);

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
