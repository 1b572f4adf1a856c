// Builds the native addon (build/Release/troupe_native.node) with node-gyp: run by `npm install`
// (the package's install script) and by `npm run build`. Never downloads Node headers: when
// this Node's own headers are installed next to it (<prefix>/include/node), node-gyp is pointed
// at them with --nodedir. Configures only when binding.gyp changed, no build exists, or with
// --configure (after installing OpenBLAS, or with TROUPE_BLAS=none to build without it), so a
// rebuild with nothing changed is a no-op make.
//
// Then, if nvcc is on the PATH and native/cuda/Makefile exists, runs `make -C native/cuda`; a
// failure there is reported and does not fail the build (the CPU core works without it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function nodeGyp(args) {
  const bin = require.resolve('node-gyp/bin/node-gyp.js');
  const nodedir = path.resolve(process.execPath, '../..');
  const local = existsSync(path.join(nodedir, 'include', 'node', 'node_api.h')) ? [`--nodedir=${nodedir}`] : [];
  const r = spawnSync(process.execPath, [bin, ...args, ...local], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`troupe: node-gyp ${args.join(' ')} failed (exit ${r.status ?? r.signal})\n`);
    process.exit(r.status ?? 1);
  }
}

function mtime(file) {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

function onPath(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const makefile = path.join(root, 'build', 'Makefile');
const stamp = path.join(root, 'build', 'config.gypi');
if (
  !existsSync(makefile) ||
  mtime(path.join(root, 'binding.gyp')) > mtime(stamp) ||
  process.argv.includes('--configure')
) {
  nodeGyp(['configure']);
}
nodeGyp(['build', `--jobs=${Math.max(1, (await import('node:os')).availableParallelism())}`]);

const cudaMakefile = path.join(root, 'native', 'cuda', 'Makefile');
if (existsSync(cudaMakefile) && onPath('nvcc')) {
  const r = spawnSync('make', ['-C', path.join(root, 'native', 'cuda')], { stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(
      `troupe: make -C native/cuda failed (exit ${r.status ?? r.signal}); the CPU core is built, CUDA tensors stay unavailable\n`,
    );
  }
}
