/**
 * A job's runtime environment: its driver imports `troupe` (this node's own), a package.json with a
 * lock file gets its dependencies from `npm ci --omit=dev` once per lock on a node, a failed install
 * fails the job with npm's output, `--node-path` reaches require(), and `job submit --follow` exits
 * with the driver's exit code. No registry is needed: the dependency is a tarball in the working dir.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobClient } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { eventually } from '../fixtures/embedded.js';
import { rawTar } from '../fixtures/raw-tar.js';
import { callUnary, makeClient } from '../../src/transport/grpc.js';
import { troupeV1 } from '../../src/transport/protos.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The version of this troupe, the one every driver must get. */
const VERSION = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd,
        env: { ...process.env, TROUPE_ADDRESS: '', TROUPE_TOKEN: '', ...options.env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The built CLI. */
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, [path.join(ROOT, 'dist/src/cli/main.js'), ...args], { env });

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'troupe-env-'));
  dirs.push(d);
  return d;
}
function write(root: string, files: Record<string, string>): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** `<app>/vendor/tiny-<version>.tgz`: a package as npm packs it (a `package/` folder). */
async function tinyTarball(app: string, version: string): Promise<string> {
  const src = write(tmp(), {
    'package/package.json': JSON.stringify({ name: 'tiny', version, type: 'module', main: 'index.js' }),
    'package/index.js': `export const hello = 'hello from tiny ${version}';\n`,
  });
  const rel = `vendor/tiny-${version}.tgz`;
  mkdirSync(path.join(app, 'vendor'), { recursive: true });
  await create({ gzip: true, cwd: src, file: path.join(app, rel), portable: true }, ['package']);
  return rel;
}

/**
 * An app folder whose package.json depends on the tiny tarball and on a `troupe` that exists only
 * on this "user's machine" (a folder beside the app), with the package-lock.json npm makes for it.
 */
async function app(version: string, main: string): Promise<string> {
  const user = tmp();
  write(user, { 'their-troupe/package.json': JSON.stringify({ name: 'troupe', version: '9.9.9' }) });
  const dir = path.join(user, 'app');
  const tgz = await tinyTarball(dir, version);
  write(dir, {
    'package.json': JSON.stringify({
      name: 'app',
      version: '1.0.0',
      type: 'module',
      dependencies: { tiny: `file:${tgz}`, troupe: 'file:../their-troupe' },
    }),
    'main.js': main,
  });
  const npm = await run('npm', ['install', '--package-lock-only', '--offline', '--no-audit', '--no-fund'], {
    cwd: dir,
  });
  expect(npm.code, npm.stderr).toBe(0);
  return dir;
}

const tinyDriver = `
import { statSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hello } from 'tiny';
import { connect } from 'troupe';
const troupe = createRequire(import.meta.url)('troupe/package.json');
const file = realpathSync('node_modules/tiny/index.js');
console.log(hello, '| troupe', troupe.version, '| inode', statSync(file).ino, file);
const cluster = await connect();
console.log('nodes', (await cluster.status()).nodes.length);
await cluster.shutdown();
`;

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('job runtime environment', () => {
  let cluster: TestCluster;
  let jobs: JobClient;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: [{ numCpus: 4, warmPool: 2 }] });
    jobs = new JobClient({ address: cluster.address, token: cluster.token });
  });
  afterAll(async () => {
    jobs?.close();
    await cluster?.stop();
  });

  const finish = async (id: string) => ({
    info: await jobs.wait(id, { timeoutMs: 90_000 }),
    logs: await jobs.logs(id),
  });

  it("lets a driver import 'troupe' (the node's own) and connect back, with no package.json", async () => {
    const dir = write(tmp(), {
      'main.mjs': `import { connect } from 'troupe';
const cluster = await connect();
const s = await cluster.status();
console.log('connected, nodes:', s.nodes.length, 'resolved from', import.meta.resolve('troupe'));
await cluster.shutdown();
`,
    });
    const { info, logs } = await finish(await jobs.submit({ entrypoint: ['node', 'main.mjs'], workingDir: dir }));
    expect(logs).toMatch(/connected, nodes: 1 resolved from file:\/\/.*\/dist\/src\/index\.js/);
    expect(info).toMatchObject({ state: 'SUCCEEDED', exitCode: 0 });
  }, 60_000);

  it("gives the node's troupe to a hand-made package that brings its own node_modules/troupe", async () => {
    const head = makeClient(troupeV1.JobService, cluster.address, cluster.token);
    const bytes = rawTar([
      { path: 'node_modules/troupe/package.json', data: '{"name":"troupe","version":"6.6.6","main":"index.js"}' },
      { path: 'node_modules/troupe/index.js', data: 'throw new Error("the package\'s own troupe ran")' },
      {
        path: 'main.mjs',
        data: "import { createRequire } from 'node:module';\nimport 'troupe';\nconsole.log('troupe', createRequire(import.meta.url)('troupe/package.json').version);\n",
      },
    ]);
    const packageId = createHash('sha256').update(bytes).digest('hex');
    await new Promise((resolve, reject) => {
      const call = head.UploadJobPackage((e, r) => (e ? reject(e) : resolve(r)));
      call.write({ packageId, totalBytes: bytes.length, data: bytes });
      call.end();
    });
    const submit = { entrypoint: ['node', 'main.mjs'], packageId, env: {}, numCpus: 0, jobId: '', metadata: {} };
    const { job } = await callUnary(head, 'SubmitJob', submit, 'head', cluster.address);
    const { info, logs } = await finish(job?.jobId ?? '');
    head.close();
    expect(logs).toContain(`troupe ${VERSION}`);
    expect(info.state, logs).toBe('SUCCEEDED');
  }, 60_000);

  it('installs a lock file dependencies once per node and reuses them; the node troupe wins over the lock one', async () => {
    const dir = await app('1.0.0', tinyDriver);
    const first = await finish(await jobs.submit({ entrypoint: ['node', 'main.js'], workingDir: dir }));
    expect(first.info.state, first.logs).toBe('SUCCEEDED');
    expect(first.logs).toContain('[troupe] installing the dependencies of package-lock.json: npm ci --omit=dev');
    expect(first.logs).toContain(`hello from tiny 1.0.0 | troupe ${VERSION} | inode`);
    expect(first.logs).toContain('nodes 1');
    const second = await finish(await jobs.submit({ entrypoint: ['node', 'main.js'], workingDir: dir }));
    expect(second.info.state, second.logs).toBe('SUCCEEDED');
    expect(second.logs).not.toContain('installing the dependencies');
    expect(second.logs).toMatch(/\[troupe\] dependencies of package-lock\.json from this node's cache/);
    // The same installed file, not another install of it.
    const inode = (logs: string) => /\| inode (\d+) (\S+)/.exec(logs)!.slice(1);
    expect(inode(second.logs)).toEqual(inode(first.logs));
    expect(inode(first.logs)[1]).toContain(path.join(cluster.tmpdir, 'jobs-env'));
    // Two jobs at once with a new lock: one installs, the other waits for it.
    const other = await app('2.0.0', tinyDriver);
    const both = await Promise.all(
      [0, 1].map(async () => finish(await jobs.submit({ entrypoint: ['node', 'main.js'], workingDir: other }))),
    );
    for (const b of both) {
      expect(b.info.state, b.logs).toBe('SUCCEEDED');
      expect(b.logs).toContain('hello from tiny 2.0.0');
    }
    expect(both.filter((b) => b.logs.includes('installing the dependencies')).length).toBe(1);
    expect(inode(both[0]!.logs)).toEqual(inode(both[1]!.logs));
    const cache = readdirSync(path.join(cluster.tmpdir, 'jobs-env'));
    expect(cache.filter((e) => /^[0-9a-f]{64}$/.test(e)).length).toBe(2);
    expect(cache.length).toBe(2); // no install lock or half-made tree left behind
  }, 180_000);

  it("fails the job with npm's output when the install fails", async () => {
    // The lock names a file: tarball that is not there (without an integrity, so npm's own cache cannot stand in).
    const dep = 'file:vendor/gone-1.0.0.tgz';
    const root = { name: 'app', version: '1.0.0', dependencies: { gone: dep } };
    const dir = write(tmp(), {
      'package.json': JSON.stringify(root),
      'package-lock.json': JSON.stringify({
        ...root,
        lockfileVersion: 3,
        requires: true,
        packages: { '': root, 'node_modules/gone': { version: '1.0.0', resolved: dep } },
      }),
      'main.js': 'console.log("never runs");\n',
    });
    const { info, logs } = await finish(await jobs.submit({ entrypoint: ['node', 'main.js'], workingDir: dir }));
    console.log(`the failed job's message:\n${info.message}`);
    expect(info.state).toBe('FAILED');
    expect(info.message).toMatch(
      /^installing the job's dependencies from package-lock\.json failed: npm ci --omit=dev .*exited with code [1-9]\d*; the end of its output:\n/,
    );
    expect(info.message).toMatch(/ENOENT[\s\S]*vendor\/gone-1\.0\.0\.tgz/);
    expect(logs).toContain('[troupe] installing the dependencies');
    expect(logs).not.toContain('never runs');
  }, 60_000);

  it('stops an install with the job, the install scripts npm started included', async () => {
    const marker = `troupe-slow-install-${process.pid}-${Date.now()}`;
    const src = write(tmp(), {
      'package/package.json': JSON.stringify({
        name: 'slow',
        version: '1.0.0',
        scripts: { install: `node -e "setTimeout(() => {}, 120000)" ${marker}` },
      }),
    });
    const dir = write(tmp(), {
      'package.json': JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { slow: 'file:vendor/slow.tgz' } }),
      'main.js': 'setInterval(() => {}, 1000);\n',
    });
    mkdirSync(path.join(dir, 'vendor'));
    await create({ gzip: true, cwd: src, file: path.join(dir, 'vendor/slow.tgz'), portable: true }, ['package']);
    const npm = await run('npm', ['install', '--package-lock-only', '--offline', '--no-audit', '--no-fund'], {
      cwd: dir,
    });
    expect(npm.code, npm.stderr).toBe(0);
    const running = (): string[] =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(marker);
          } catch {
            return false;
          }
        });
    const id = await jobs.submit({ entrypoint: ['node', 'main.js'], workingDir: dir });
    for await (const t of jobs.tailLogs(id)) if (t.includes('installing the dependencies')) break;
    const sawScript = await eventually(() => running().length > 0, 20_000);
    console.log(`the install script ${sawScript ? 'ran' : 'did not run (npm did not run install scripts)'}`);
    await jobs.stop(id);
    expect((await jobs.wait(id, { timeoutMs: 30_000 })).state).toBe('STOPPED');
    expect(await eventually(() => running().length === 0, 10_000)).toBe(true);
    const installing = () =>
      readdirSync(path.join(cluster.tmpdir, 'jobs-env')).filter((e) => !/^[0-9a-f]{64}$/.test(e));
    expect(await eventually(() => installing().length === 0, 10_000), installing().join()).toBe(true);
  }, 90_000);

  it('gives require() the --node-path folders, and --follow exits with the driver exit code', async () => {
    const target = ['--address', cluster.address, '--token', cluster.token];
    const dir = write(tmp(), {
      'main.cjs': "console.log(require('helper').greet()); process.exit(Number(process.argv[2]));\n",
      'lib/helper.js': "exports.greet = () => 'hi from lib';\n",
    });
    const submit = (code: number, ...flags: string[]) =>
      cli(
        [
          'job',
          'submit',
          ...target,
          '--working-dir',
          dir,
          ...flags,
          '--follow',
          '--',
          'node',
          'main.cjs',
          String(code),
        ],
        cluster.env,
      );
    const [ok, three] = await Promise.all([submit(0, '--node-path', 'lib'), submit(3, '--node-path', 'lib')]);
    expect(ok.stdout, ok.stderr).toContain('hi from lib');
    expect(ok.code).toBe(0);
    expect(three.stdout, three.stderr).toContain('hi from lib');
    expect(three.stderr).toMatch(/FAILED \(driver exited with code 3\)/);
    expect(three.code).toBe(3);
    const bad = await cli(['job', 'submit', ...target, '--node-path', '../up', '--', 'node', 'x'], cluster.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--node-path entries must be folders relative to the job's folder \(without "\.\."\)/);
    const both = await cli(
      ['job', 'submit', ...target, '--node-path', 'lib', '--env', 'NODE_PATH=x', '--', 'node', 'x'],
      cluster.env,
    );
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give NODE_PATH either as nodePath \(--node-path\) or in env \(--env\), not both/);
  }, 90_000);
});
