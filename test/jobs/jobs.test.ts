import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobClient, JobNotFoundError, UnauthenticatedError } from '../../src/index.js';
import { callUnary, makeClient } from '../../src/transport/grpc.js';
import { troupeV1 } from '../../src/transport/protos.js';
import { rawTar, writeZeroBomb } from '../fixtures/raw-tar.js';
import { describeRedis, redisDatabase, redisForTests } from '../state/redis-harness.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { eventually, rejection } from '../fixtures/embedded.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// Drivers are plain `node` processes: they load the built library.
const TROUPE = pathToFileURL(path.join(ROOT, 'dist/src/index.js')).href;

/** The built CLI (a tsx start costs seconds on two cores). */
function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(ROOT, 'dist/src/cli/main.js'), ...args],
      { env: { ...process.env, TROUPE_ADDRESS: '', TROUPE_TOKEN: '', ...env }, timeout: 40_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const dirs: string[] = [];
/** A working directory holding `files`. */
function workdir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-job-'));
  dirs.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const counterDriver = {
  'main.mjs': `
import { readFileSync } from 'node:fs';
import { connect } from '${TROUPE}';
console.log('hello', process.env.GREETING, readFileSync('data.txt', 'utf8').trim(), process.env.TROUPE_JOB_ID);
const cluster = await connect();
const Counter = cluster.actorClass(new URL('./counter.mjs', import.meta.url), 'Counter');
const c = await Counter.spawn([40]);
console.log('counter says', await c.call.inc(2));
await cluster.shutdown();
`,
  'counter.mjs': 'export class Counter { constructor(v) { this.v = v; } inc(n) { return (this.v += n); } }\n',
  'data.txt': 'from the working dir\n',
  'node_modules/huge/index.js': 'left out',
};

async function collect(jobs: JobClient, id: string): Promise<string> {
  let out = '';
  for await (const t of jobs.tailLogs(id)) out += t;
  return out;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('jobs', () => {
  let cluster: TestCluster;
  let jobs: JobClient;

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: [{ numCpus: 2, warmPool: 2 }] });
    jobs = new JobClient({ address: cluster.address, token: cluster.token });
  });
  afterAll(async () => {
    jobs?.close();
    await cluster?.stop();
  });

  it('runs a driver with its working directory on a node: logs, status and list', async () => {
    const id = await jobs.submit({
      entrypoint: ['node', 'main.mjs'],
      workingDir: workdir(counterDriver),
      env: { GREETING: 'world' },
      numCpus: 1,
      metadata: { team: 'a' },
    });
    const logs = await collect(jobs, id);
    expect(logs).toContain(`hello world from the working dir ${id}`);
    expect(logs).toContain('counter says 42');
    const info = await jobs.wait(id, { timeoutMs: 10_000 });
    expect(info).toMatchObject({
      jobId: id,
      state: 'SUCCEEDED',
      exitCode: 0,
      nodeId: cluster.workers[0]!.nodeId,
      numCpus: 1,
      metadata: { team: 'a' },
    });
    expect(info.startedAtMs).toBeGreaterThanOrEqual(info.createdAtMs);
    expect(info.endedAtMs).toBeGreaterThanOrEqual(info.startedAtMs);
    expect((await jobs.list()).map((j) => j.jobId)).toContain(id);
    expect(await jobs.logs(id)).toBe(logs);
    // The supervisor went with the job: its CPU is free again.
    const driver = await cluster.connect();
    expect(await eventually(async () => (await driver.status()).nodes[0]!.available.CPU === 2, 5000)).toBe(true);
  });

  it('reports a failing driver with its exit code, and a command that does not exist', async () => {
    const [failing, missing] = await Promise.all([
      jobs.submit({ entrypoint: 'node -e process.exit(3)' }),
      jobs.submit({ entrypoint: ['no-such-command-troupe'] }),
    ]);
    expect(await jobs.wait(failing, { timeoutMs: 15_000 })).toMatchObject({
      state: 'FAILED',
      exitCode: 3,
      message: 'driver exited with code 3',
    });
    const info = await jobs.wait(missing, { timeoutMs: 15_000 });
    expect(info.state).toBe('FAILED');
    expect(info.message).toMatch(/cannot run no-such-command-troupe: not found/);
  });

  it('stops a running driver and what it started', async () => {
    const dir = workdir({
      'main.mjs': `import { spawn } from 'node:child_process';
const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
console.log('child', child.pid);
setInterval(() => {}, 1000);`,
    });
    const id = await jobs.submit({ entrypoint: ['node', 'main.mjs'], workingDir: dir });
    let logs = '';
    for await (const t of jobs.tailLogs(id)) {
      logs += t;
      if (logs.includes('child')) break;
    }
    const childPid = Number(/child (\d+)/.exec(logs)![1]);
    const running = await jobs.status(id);
    expect(running.state).toBe('RUNNING');
    await jobs.stop(id);
    const info = await jobs.wait(id, { timeoutMs: 20_000 });
    expect(info.state).toBe('STOPPED');
    const gone = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    };
    expect(await eventually(() => gone(info.driverPid) && gone(childPid), 5000)).toBe(true);
    expect((await jobs.stop(id)).state).toBe('STOPPED'); // stopping again is harmless
  });

  it('refuses a package holding ../x, an absolute path or an escaping link, writing nothing outside its folder', async () => {
    const head = makeClient(troupeV1.JobService, cluster.address, cluster.token);
    const upload = (bytes: Buffer): Promise<string> =>
      new Promise((resolve, reject) => {
        const id = createHash('sha256').update(bytes).digest('hex');
        const call = head.UploadJobPackage((e, r) => (e ? reject(e) : resolve(r?.packageId ?? '')));
        call.write({ packageId: id, totalBytes: bytes.length, data: bytes });
        call.end();
      });
    const jobsDir = path.join(cluster.tmpdir, 'jobs');
    const bad: Array<[Parameters<typeof rawTar>[0], RegExp]> = [
      [
        [
          { path: 'main.mjs', data: '' },
          { path: '../x', data: 'evil' },
        ],
        /the entry "\.\.\/x" has a "\.\." in its path/,
      ],
      [[{ path: `${cluster.tmpdir}/abs-evil`, data: 'evil' }], /has an absolute path/],
      [
        [
          { path: 'out', type: 'SymbolicLink', linkpath: '../../..' },
          { path: 'out/evil', data: 'evil' },
        ],
        /the link "out" points to "\.\.\/\.\.\/\.\.", outside the job's folder/,
      ],
    ];
    for (const [entries, message] of bad) {
      const packageId = await upload(rawTar(entries));
      const submit = { entrypoint: ['node', 'main.mjs'], packageId, env: {}, numCpus: 0, jobId: '', metadata: {} };
      const { job } = await callUnary(head, 'SubmitJob', submit, 'head', cluster.address);
      const info = await jobs.wait(job?.jobId ?? '', { timeoutMs: 15_000 });
      expect(info.state).toBe('FAILED');
      expect(info.message).toMatch(message);
    }
    expect(existsSync(path.join(jobsDir, 'x'))).toBe(false);
    expect(existsSync(path.join(cluster.tmpdir, 'abs-evil'))).toBe(false);
    expect(existsSync(path.join(cluster.tmpdir, 'evil'))).toBe(false);
    expect(existsSync(jobsDir) ? readdirSync(jobsDir) : []).toEqual([]); // every job folder was removed again
    // A package that does not match its id, or overruns what it announced, is refused at upload.
    const wrong = await rejection(
      new Promise((resolve, reject) => {
        const call = head.UploadJobPackage((e, r) => (e ? reject(e) : resolve(r)));
        call.write({ packageId: 'a'.repeat(64), totalBytes: 3, data: Buffer.from('abc') });
        call.end();
      }),
    );
    expect(wrong.message).toMatch(/does not match its package_id/);
    head.close();
  });

  it('keeps a package for a while after its last job ended: a second submit of the same upload runs', async () => {
    // Two clients submitting the same folder share one package; the second upload can land before the
    // first job ends and its SubmitJob after. Played here as one upload and two submits.
    const head = makeClient(troupeV1.JobService, cluster.address, cluster.token);
    const bytes = rawTar([{ path: 'main.mjs', data: "console.log('ran from the shared package');\n" }]);
    const packageId = createHash('sha256').update(bytes).digest('hex');
    await new Promise((resolve, reject) => {
      const call = head.UploadJobPackage((e, r) => (e ? reject(e) : resolve(r)));
      call.write({ packageId, totalBytes: bytes.length, data: bytes });
      call.end();
    });
    const submit = { entrypoint: ['node', 'main.mjs'], packageId, env: {}, numCpus: 0, jobId: '', metadata: {} };
    for (const _ of [1, 2]) {
      const { job } = await callUnary(head, 'SubmitJob', submit, 'head', cluster.address);
      const info = await jobs.wait(job?.jobId ?? '', { timeoutMs: 15_000 });
      expect(info.state, info.message).toBe('SUCCEEDED');
      expect(await jobs.logs(info.jobId)).toBe('ran from the shared package\n');
    }
    head.close();
  });

  it('refuses a decompression bomb sent as raw upload bytes, failing the job with the reason', async () => {
    const head = makeClient(troupeV1.JobService, cluster.address, cluster.token);
    const file = path.join(workdir({}), 'zeros.tgz');
    await writeZeroBomb(file, 1024 ** 3);
    const bytes = readFileSync(file);
    const packageId = createHash('sha256').update(bytes).digest('hex');
    await new Promise((resolve, reject) => {
      const call = head.UploadJobPackage((e, r) => (e ? reject(e) : resolve(r)));
      call.write({ packageId, totalBytes: bytes.length, data: bytes });
      call.end();
    });
    const submit = { entrypoint: ['node', 'main.mjs'], packageId, env: {}, numCpus: 0, jobId: '', metadata: {} };
    const { job } = await callUnary(head, 'SubmitJob', submit, 'head', cluster.address);
    const info = await jobs.wait(job?.jobId ?? '', { timeoutMs: 30_000 });
    expect(info.state).toBe('FAILED');
    expect(info.message).toMatch(/the job package was refused: it decompresses to more than .* decompression ratio/);
    const jobsDir = path.join(cluster.tmpdir, 'jobs');
    expect(existsSync(jobsDir) ? readdirSync(jobsDir) : []).toEqual([]);
    head.close();
  }, 60_000);

  it('refuses a wrong token, unknown jobs and bad options with clear errors', async () => {
    const stranger = new JobClient({ address: cluster.address, token: 'wrong-token' });
    expect(await rejection(stranger.list())).toBeInstanceOf(UnauthenticatedError);
    stranger.close();
    const unknown = await rejection(jobs.status('no-such-job'));
    expect(unknown).toBeInstanceOf(JobNotFoundError);
    expect(unknown.message).toMatch(/no job with id "no-such-job"/);
    expect((await rejection(jobs.submit({ entrypoint: [] }))).message).toMatch(/entrypoint must be a non-empty array/);
    expect((await rejection(jobs.submit({ entrypoint: 'node x', env: { TROUPE_TOKEN: 'x' } }))).message).toMatch(
      /env.TROUPE_TOKEN is set by Troupe/,
    );
    expect((await rejection(jobs.submit({ entrypoint: 'node x', numCpu: 1 } as never))).message).toMatch(
      /unknown submit option 'numCpu'/,
    );
    expect((await rejection(jobs.submit({ entrypoint: 'node x', jobId: '../evil' }))).message).toMatch(
      /jobId must be 1-128 letters/,
    );
    const huge = await jobs.submit({ entrypoint: 'node -e 1', numCpus: 64 });
    expect(await jobs.wait(huge, { timeoutMs: 5000 })).toMatchObject({ state: 'FAILED' });
    expect((await jobs.status(huge)).message).toMatch(/could not start the job's supervisor: .*CPU/);
  });

  it('works from the CLI: submit --follow, status, logs, list', async () => {
    const dir = workdir({ 'main.mjs': "console.log('from the cli', process.argv[2]);\n" });
    const target = ['--address', cluster.address, '--token', cluster.token];
    const r = await cli(
      [
        'job',
        'submit',
        ...target,
        '--working-dir',
        dir,
        '--job-id',
        'cli-job',
        '--follow',
        '--',
        'node',
        'main.mjs',
        'arg1',
      ],
      cluster.env,
    );
    expect(r.stderr).toContain('job cli-job SUCCEEDED');
    expect(r.stdout).toContain('Job cli-job submitted');
    expect(r.stdout).toContain('from the cli arg1');
    expect(r.code).toBe(0);
    const [status, logs, list] = await Promise.all([
      cli(['job', 'status', ...target, 'cli-job'], cluster.env),
      cli(['job', 'logs', ...target, 'cli-job'], cluster.env),
      cli(['job', 'list', ...target], cluster.env),
    ]);
    expect(status.stdout).toMatch(/Job cli-job: SUCCEEDED/);
    expect(logs.stdout).toBe('from the cli arg1\n');
    expect(list.stdout).toMatch(/cli-job\s+SUCCEEDED/);
    const missing = await cli(['job', 'status', ...target, 'nope'], cluster.env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no job with id "nope"/);
    const bad = await cli(['job', 'submit', ...target, '--env', 'no-equals', '--', 'node', 'x'], cluster.env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--env takes NAME=VALUE/);
  });
});

const redis = await redisForTests();

describeRedis('jobs with the head state in Redis', redis, (r) => {
  afterAll(async () => {
    if (!('skip' in redis)) await redis.close();
  });

  it('keep their records and logs across a head restart, and a running job carries on', async () => {
    const url = redisDatabase(r, 6);
    const { Redis } = await import('ioredis');
    const flush = new Redis(url);
    await flush.flushdb();
    flush.disconnect();
    await using cluster = await startTestCluster({
      workers: [{ numCpus: 2 }],
      heartbeatPeriodMs: 200,
      heartbeatTimeoutMs: 5000,
      state: url,
    });
    const jobs = new JobClient({ address: cluster.address, token: cluster.token });
    try {
      const done = await jobs.submit({ entrypoint: ['node', '-e', "console.log('finished before')"] });
      await jobs.wait(done, { timeoutMs: 15_000 });
      const dir = workdir({ 'main.mjs': "console.log('before'); setTimeout(() => console.log('after'), 2500);\n" });
      const long = await jobs.submit({ entrypoint: ['node', 'main.mjs'], workingDir: dir });
      expect(await eventually(async () => (await jobs.logs(long)).includes('before'), 10_000)).toBe(true);
      await cluster.killHead('SIGKILL');
      await cluster.restartHead();
      const again = new JobClient({ address: cluster.address, token: cluster.token });
      try {
        expect(await eventually(async () => (await again.list().catch(() => [])).length === 2, 10_000)).toBe(true);
        expect(await again.status(done)).toMatchObject({ state: 'SUCCEEDED' });
        expect(await again.logs(done)).toBe('finished before\n');
        const info = await again.wait(long, { timeoutMs: 20_000 });
        expect(info.state).toBe('SUCCEEDED');
        expect(await again.logs(long)).toBe('before\nafter\n');
      } finally {
        again.close();
      }
    } finally {
      jobs.close();
    }
  });
});
