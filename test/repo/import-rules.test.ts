/**
 * The import rules (.dependency-cruiser.cjs, run by `npm run deps` in `npm test`) catch what they are
 * for: a back edge between layers, a door bypassed, and a cycle. Checked on a small tree of planted
 * mistakes, and the real tree is checked to be clean.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEPCRUISE = path.join(ROOT, 'node_modules/.bin/depcruise');
const CONFIG = path.join(ROOT, '.dependency-cruiser.cjs');

function cruise(cwd: string, dirs: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(DEPCRUISE, [...dirs, '--config', CONFIG, '--output-type', 'err'], { cwd }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    ),
  );
}

describe('the import rules', () => {
  let dir: string;
  const write = (file: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-deps-'));
    write('tsconfig.json', JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    write('src/client/index.ts', 'export const client = 1;\n');
    write('src/common/index.ts', "export { fail } from './errors.js';\n");
    write('src/common/errors.ts', 'export const fail = 1;\n');
    // A back edge: transport (low) imports client (high).
    write('src/transport/index.ts', "import { client } from '../client/index.js';\nexport const t = client;\n");
    // A door bypassed: head reaches past common's index.ts.
    write('src/head/index.ts', "import { fail } from '../common/errors.js';\nexport const h = fail;\n");
    // A cycle inside one component.
    write('src/state/index.ts', "import { b } from './b.js';\nexport const a = () => b;\n");
    write('src/state/b.ts', "import { a } from './index.js';\nexport const b = () => a;\n");
    // The library importing a test.
    write('src/jobs/index.ts', "import { x } from '../../test/x.js';\nexport const j = x;\n");
    write('test/x.ts', 'export const x = 1;\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fail on a back edge, a bypassed door, a cycle and src importing test', async () => {
    const { code, out } = await cruise(dir, ['src', 'test']);
    expect(code).not.toBe(0);
    expect(out).toMatch(/layer-transport: src\/transport\/index\.ts → src\/client\/index\.ts/);
    expect(out).toMatch(/door-only: src\/head\/index\.ts → src\/common\/errors\.ts/);
    expect(out).toMatch(/no-circular: src\/state\/(index|b)\.ts/);
    expect(out).toMatch(/src-stays-below-tests: src\/jobs\/index\.ts → test\/x\.ts/);
  });

  it('pass on the real tree', async () => {
    const { code, out } = await cruise(ROOT, ['src', 'native', 'bench', 'examples', 'test']);
    expect(out).toMatch(/no dependency violations found/);
    expect(code).toBe(0);
  });
});
