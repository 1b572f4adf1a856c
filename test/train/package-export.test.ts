/** `troupe/train` is the package's second entry point, importable by a plain node script. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('troupe/train', () => {
  it('is importable from outside the repo and runs a matmul in the built addon', async () => {
    expect(existsSync(path.join(ROOT, 'dist/src/train/index.js')), 'run `npm run build` first (npm test does)').toBe(
      true,
    );
    const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-train-user-'));
    try {
      mkdirSync(path.join(dir, 'node_modules'));
      symlinkSync(ROOT, path.join(dir, 'node_modules', 'troupe'));
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
      writeFileSync(
        path.join(dir, 'main.js'),
        [
          "import { Tensor, matmul } from 'troupe/train';",
          'const a = Tensor.from([1, 2, 3, 4], [2, 2]);',
          'console.log(JSON.stringify([...(await matmul(a, a)).toArray()]));',
        ].join('\n'),
      );
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ['main.js'], { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      expect(JSON.parse(out.trim())).toEqual([7, 10, 15, 22]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
