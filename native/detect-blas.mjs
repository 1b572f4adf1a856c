// Prints what binding.gyp needs to build against a system CBLAS (OpenBLAS), found at build time:
//   --have     "1" when cblas.h and libopenblas are both present, else "0"
//   --cflags   the include flag for the directory holding OpenBLAS's cblas.h
//   --libs     the linker flags
// TROUPE_BLAS=none forces the own kernel only (to test a machine without OpenBLAS).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

function pkgConfig(flag) {
  try {
    return execFileSync('pkg-config', [flag, 'openblas'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function firstExisting(dirs, file) {
  return dirs.find((d) => existsSync(path.join(d, file))) ?? null;
}

export function detectBlas() {
  if (process.env.TROUPE_BLAS === 'none') return null;
  const arch = `${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;
  const cflags = pkgConfig('--cflags');
  const libs = pkgConfig('--libs');
  const includeDirs = [
    ...(cflags ?? '')
      .split(/\s+/)
      .filter((f) => f.startsWith('-I'))
      .map((f) => f.slice(2)),
    `/usr/include/${arch}/openblas-pthread`,
    '/usr/include/openblas',
    `/usr/include/${arch}`,
    '/usr/include',
    '/usr/local/include',
    '/opt/homebrew/opt/openblas/include',
  ];
  const libDirs = [
    ...(libs ?? '')
      .split(/\s+/)
      .filter((f) => f.startsWith('-L'))
      .map((f) => f.slice(2)),
    `/usr/lib/${arch}/openblas-pthread`,
    `/usr/lib/${arch}`,
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
    '/opt/homebrew/opt/openblas/lib',
  ];
  const include = firstExisting(includeDirs, 'cblas.h');
  const libDir = firstExisting(libDirs, process.platform === 'darwin' ? 'libopenblas.dylib' : 'libopenblas.so');
  if (!include || !libDir) return null;
  return { cflags: `-I${include}`, libs: `-L${libDir} -Wl,-rpath,${libDir} -lopenblas` };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const found = detectBlas();
  const what = process.argv[2];
  if (what === '--have') process.stdout.write(found ? '1' : '0');
  else if (what === '--cflags') process.stdout.write(found?.cflags ?? '');
  else if (what === '--libs') process.stdout.write(found?.libs ?? '');
  else process.stdout.write(`${JSON.stringify(found)}\n`);
}
