import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the built package', () => {
  it('is importable as `troupe` by a plain node script outside the repo', async () => {
    expect(existsSync(path.join(ROOT, 'dist/src/index.js')), 'run `npm run build` first (npm test does)').toBe(true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-user-'));
    try {
      mkdirSync(path.join(dir, 'node_modules'));
      symlinkSync(ROOT, path.join(dir, 'node_modules', 'troupe'));
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      writeFileSync(
        path.join(dir, 'adder.js'),
        'export class Adder { constructor(b) { this.b = b; } add(x) { return x + this.b; } }\n' +
          'export function double(x) { return 2 * x; }\n',
      );
      writeFileSync(
        path.join(dir, 'main.js'),
        [
          "import { connect, ACTOR_OPTION_KEYS } from 'troupe';",
          'const cluster = await connect({ warmPoolSize: 1 });',
          "const Adder = cluster.actorClass(new URL('./adder.js', import.meta.url), 'Adder');",
          'const a = await Adder.spawn([40]);',
          // A task's executor is `troupe/internal/task-executor`, resolved by the node's own package.
          "const double = cluster.task(new URL('./adder.js', import.meta.url), 'double');",
          'const task = await double.call(21);',
          'console.log(JSON.stringify({ sum: await a.call.add(2), keys: ACTOR_OPTION_KEYS.length, task }));',
          'await cluster.shutdown();',
        ].join('\n'),
      );
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          process.execPath,
          ['main.js'],
          { cwd: dir, timeout: 60_000, env: { ...process.env, TROUPE_ADDRESS: '', TROUPE_TMPDIR: dir } },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
      expect(JSON.parse(out.trim())).toEqual({ sum: 42, keys: 16, task: 42 });
      // Internals are not reachable by deep imports.
      const deep = await new Promise<string>((resolve) =>
        execFile(
          process.execPath,
          [
            '-e',
            "import('troupe/dist/src/head/index.js').then(() => console.log('reachable'), (e) => console.log(e.code))",
          ],
          { cwd: dir },
          (_e, stdout) => resolve(stdout.trim()),
        ),
      );
      expect(deep).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships no internals in its type declarations (stripInternal)', () => {
    const dts = (readdirSync(path.join(ROOT, 'dist/src'), { recursive: true }) as string[]).filter((f) =>
      f.endsWith('.d.ts'),
    );
    expect(dts.length).toBeGreaterThan(20);
    const leaking = dts.filter((f) => readFileSync(path.join(ROOT, 'dist/src', f), 'utf8').includes('@internal'));
    expect(leaking, 'declarations marked @internal must not reach the published .d.ts').toEqual([]);
    const all = dts.map((f) => readFileSync(path.join(ROOT, 'dist/src', f), 'utf8')).join('\n');
    expect(all).not.toMatch(/\binvokeToRef\(/);
  });
});
