/**
 * The `calls` rows for a cold start: the first spawn on a fresh embedded cluster, and how long a
 * wrong class name takes to be reported, with where the time goes. A fresh cluster's first spawn
 * waits for a warm actor host process that `connect()` forked: Node's own start (the raw
 * baseline), then Troupe's modules in it (grpc-js, the proto loaders, the protos parsed), then its
 * port and a warm-up call to itself. Those imports are timed here in a child, to print beside it.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type Cluster } from '../src/index.js';
import { percentile, type Report } from './lib/report.js';
import { section, withTimeout } from './lib/sections.js';

type EchoActor = typeof import('./actors/echo.js').EchoActor;

const SAMPLES = 3;
const ECHO = new URL('./actors/echo.js', import.meta.url);
// bench/ and src/ sit side by side, in the sources and in dist/.
const TRANSPORT = new URL('../src/transport/index.js', import.meta.url).href;
const HOST = new URL('../src/worker/actor-host.js', import.meta.url).href;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Milliseconds to import, in a fresh Node process, what an actor host loads, step by step. */
const IMPORTS_SCRIPT = `
const t = [performance.now()];
await import('@grpc/grpc-js'); t.push(performance.now());
await import('@grpc/proto-loader'); await import('protobufjs'); t.push(performance.now());
await import(${JSON.stringify(TRANSPORT)}); t.push(performance.now());
await import(${JSON.stringify(HOST)}); t.push(performance.now());
const d = t.slice(1).map((x, i) => x - t[i]);
console.log(JSON.stringify({ grpc: d[0], loaders: d[1], protos: d[2], rest: d[3] }));
`;

interface ImportTimes {
  grpc: number;
  loaders: number;
  protos: number;
  rest: number;
}

function hostImports(): Promise<ImportTimes> {
  return new Promise((resolve, reject) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', IMPORTS_SCRIPT],
      { cwd: ROOT, timeout: 30_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout))),
    ),
  );
}

/** ms until a spawn of `exportName` settles (resolved or refused), and whether it was refused. */
async function timeSpawn(cluster: Cluster, exportName: string): Promise<{ ms: number; refused: boolean }> {
  const t0 = performance.now();
  try {
    const a = await cluster.actorClass<EchoActor>(ECHO, exportName).spawn([]);
    const ms = performance.now() - t0;
    await a.kill();
    return { ms, refused: false };
  } catch {
    return { ms: performance.now() - t0, refused: true };
  }
}

/** One fresh embedded cluster: connect, a first spawn of `exportName`, then (warm) a wrong class. */
async function freshCluster(exportName: string): Promise<{ connectMs: number; firstMs: number; warmWrongMs: number }> {
  const t0 = performance.now();
  const cluster = await connect();
  const connectMs = performance.now() - t0;
  try {
    const first = await timeSpawn(cluster, exportName);
    if (first.refused !== (exportName !== 'EchoActor')) throw new Error(`spawn of ${exportName} did the unexpected`);
    await new Promise((r) => setTimeout(r, 1000)); // the warm pool refills
    const wrong = await timeSpawn(cluster, 'EchoActr');
    if (!wrong.refused) throw new Error('a wrong class name was not refused');
    return { connectMs, firstMs: first.ms, warmWrongMs: wrong.ms };
  } finally {
    await withTimeout(cluster.shutdown(), 30_000, 'cluster.shutdown()');
  }
}

const median = (xs: number[]): number => percentile(xs, 50);

/** Adds the cold-start rows (and a note on where their time goes) to the report. */
export async function runFirstSpawnSection(report: Report, rawStartP50: number | null): Promise<void> {
  const rows = [
    {
      name: `troupe first spawn on a fresh embedded cluster (connect() resolved to spawn resolved), median of ${SAMPLES}`,
      unit: 'ms',
      opts: { baselineName: 'raw process start p50' },
    },
    { name: `troupe connect() starting an embedded cluster, median of ${SAMPLES}`, unit: 'ms' },
    { name: `troupe wrong class name reported, first spawn on a fresh cluster, median of ${SAMPLES}`, unit: 'ms' },
    { name: `troupe wrong class name reported, warm pool, median of ${SAMPLES * 2}`, unit: 'ms' },
    {
      name: `actor host imports in a fresh process (grpc-js, loaders, protos, the rest), median of ${SAMPLES}`,
      unit: 'ms',
    },
  ];
  let imports: ImportTimes | undefined;
  await section(report, rows, 180_000, async () => {
    const good = [];
    const bad = [];
    const importRuns: ImportTimes[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      good.push(await freshCluster('EchoActor'));
      bad.push(await freshCluster('EchoActr'));
      importRuns.push(await hostImports());
    }
    const pick = (k: keyof ImportTimes): number => median(importRuns.map((r) => r[k]));
    imports = { grpc: pick('grpc'), loaders: pick('loaders'), protos: pick('protos'), rest: pick('rest') };
    return [
      { value: median(good.map((r) => r.firstMs)), baseline: rawStartP50 },
      { value: median([...good, ...bad].map((r) => r.connectMs)) },
      { value: median(bad.map((r) => r.firstMs)) },
      { value: median([...good, ...bad].map((r) => r.warmWrongMs)) },
      { value: imports.grpc + imports.loaders + imports.protos + imports.rest },
    ];
  });
  if (!imports) return;
  const ms = (x: number): string => `${Math.round(x)} ms`;
  report.note(
    [
      'Where a first spawn on a fresh cluster goes: connect() forks the warm actor host processes and returns;',
      'the first spawn then waits for one of them to serve: Node starts (the raw baseline), then loads',
      `Troupe's modules: grpc-js ${ms(imports.grpc)}, @grpc/proto-loader and protobufjs ${ms(imports.loaders)},`,
      `the protos parsed ${ms(imports.protos)}, the rest of the host ${ms(imports.rest)}; then it binds its port and`,
      'makes one warm-up call to itself. Under tsx each host also compiles those modules from TypeScript (2-3x).',
      'A wrong class name is reported once the actor module has loaded: a starting host takes the order at once',
      'and imports the module while its own modules still load, so on a fresh cluster it costs Node start plus',
      'one module load, and on a warm pool one module load plus the round trip through the head.',
    ].join('\n'),
  );
}
