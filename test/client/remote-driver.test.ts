/**
 * A driver that joins a running cluster loads neither the head nor the state store (nor ioredis):
 * `connect()` imports the embedded cluster only when it starts one. Every module the driver's
 * process loads is recorded by a module hook; the embedded case is the control that shows the
 * record would see the head.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modulesLoadedBy, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const API = pathToFileURL(path.join(ROOT, 'dist/src/index.js')).href;

let embedded: EmbeddedCluster;
let dir: string;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ warmPoolSize: 0 });
  dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-remote-driver-'));
  writeFileSync(
    path.join(dir, 'driver.mjs'),
    [
      `import { connect } from ${JSON.stringify(API)};`,
      'const cluster = await connect(process.env.JOIN ? { address: process.env.JOIN, token: process.env.JOIN_TOKEN } : {});',
      'await cluster.status();',
      'await cluster.shutdown();',
    ].join('\n'),
  );
});
afterAll(async () => {
  await embedded?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function modulesLoaded(join: boolean): Promise<string[]> {
  return modulesLoadedBy([path.join(dir, 'driver.mjs')], {
    cwd: dir,
    env: {
      TROUPE_ADDRESS: '',
      TROUPE_TMPDIR: dir,
      JOIN: join ? embedded.address : '',
      JOIN_TOKEN: join ? embedded.token : '',
    },
  });
}

describe('a driver that joins a remote cluster', () => {
  it('loads the client but neither the head, the worker agent, the state store nor ioredis', async () => {
    expect(existsSync(path.join(ROOT, 'dist/src/index.js')), 'run `npm run build` first (npm test does)').toBe(true);
    const loaded = await modulesLoaded(true);
    expect(loaded.some((u) => u.includes('/dist/src/client/'))).toBe(true);
    const heavy = loaded.filter((u) =>
      /\/dist\/src\/(head|state)\/|\/dist\/src\/worker\/agent|\/node_modules\/ioredis\//.test(u),
    );
    expect(heavy).toEqual([]);
  });

  it('(control) an embedded cluster does load the head and the state store', async () => {
    const loaded = await modulesLoaded(false);
    expect(loaded.some((u) => u.includes('/dist/src/head/'))).toBe(true);
    expect(loaded.some((u) => u.includes('/dist/src/state/'))).toBe(true);
  });
});
