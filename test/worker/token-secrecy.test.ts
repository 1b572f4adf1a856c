/**
 * The cluster token stays out of what actor code and stored state can read: an actor host gets it
 * over its IPC channel (not in its environment, where /proc/self/environ keeps it for the process's
 * life whatever process.env says), even from an agent that has it in its own environment as a
 * `troupe start` daemon does; a job's supervisor gets it from its agent at creation, so the actor
 * record the head stores (here in a memory:// snapshot file) never holds it. The driver, the
 * user's program, still connects with the token it is given.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobClient, type Cluster } from '../../src/index.js';
import { runCli, startTestCluster, waitForLine, type TestCluster } from '../fixtures/cluster.js';
import { eventually } from '../fixtures/embedded.js';
import type { TokenProbe } from '../fixtures/token-probe.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TROUPE = pathToFileURL(path.join(ROOT, 'dist/src/index.js')).href;
const PROBE = new URL('../fixtures/token-probe.ts', import.meta.url);

describe('the cluster token', () => {
  let cluster: TestCluster;
  let driver: Cluster;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-secret-'));
  const snapshot = path.join(dir, 'state.json');

  beforeAll(async () => {
    cluster = await startTestCluster({ workers: [], state: `memory://${snapshot}` });
    // A worker holding the token in its environment, as a daemonized `troupe start` does.
    const child = runCli(['start', '--address', cluster.address, '--warm-pool', '1', '--num-cpus', '3'], {
      ...cluster.env,
      TROUPE_TOKEN: cluster.token,
    });
    const { match, output } = await waitForLine(child, /Troupe worker (node-[0-9a-f]+) joined/);
    cluster.workers.push({ child, nodeId: match[1]!, output });
    driver = await cluster.connect();
  });
  afterAll(async () => {
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is not in what actor code can read of its process: environ, cmdline, process.env', async () => {
    const Probe = driver.actorClass<typeof TokenProbe>(PROBE, 'TokenProbe');
    for (const isolation of ['process', 'shared'] as const) {
      const probe = await Probe.spawn([], { numCpus: 0, isolation });
      const seen = await probe.call.look();
      expect(seen.environ.length, 'the host has an environment to look in').toBeGreaterThan(100);
      expect(seen.environ).toContain('TROUPE_LOG_FILE=');
      const found = Object.entries(seen)
        .filter(([, text]) => typeof text === 'string' && text.includes(cluster.token))
        .map(([where]) => where);
      console.log(`${isolation} host pid ${seen.pid}: token found in [${found.join(', ')}]`);
      expect(found, `the token in the ${isolation} host's ${found.join(', ')}`).toEqual([]);
      await probe.kill();
    }
  });

  it("is in no stored record while a job runs, and the job's driver still connects with it", async () => {
    expect(existsSync(path.join(ROOT, 'dist/src/index.js')), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    const work = mkdtempSync(path.join(dir, 'job-'));
    const go = path.join(dir, 'go');
    writeFileSync(
      path.join(work, 'main.mjs'),
      `
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '${TROUPE}';
const token = process.env.TROUPE_TOKEN;
const parent = readFileSync('/proc/' + process.ppid + '/environ', 'latin1');
console.log('driver has a token:', Boolean(token), '; its supervisor host has it in its environ:', parent.includes(token));
const cluster = await connect();
const Counter = cluster.actorClass(new URL('./counter.mjs', import.meta.url), 'Counter');
const c = await Counter.spawn([40], { numCpus: 0 });
console.log('counter says', await c.call.inc(2));
while (!existsSync(process.env.GO_FILE)) await sleep(50);
await cluster.shutdown();
`,
    );
    writeFileSync(
      path.join(work, 'counter.mjs'),
      'export class Counter { constructor(v) { this.v = v; } inc(n) { return (this.v += n); } }\n',
    );
    const jobs = new JobClient({ address: cluster.address, token: cluster.token });
    try {
      const id = await jobs.submit({ entrypoint: ['node', 'main.mjs'], workingDir: work, env: { GO_FILE: go } });
      const ran = await eventually(async () => (await jobs.logs(id)).includes('counter says 42'), 30_000);
      expect(ran, await jobs.logs(id)).toBe(true);
      expect(await jobs.logs(id)).toContain(
        'driver has a token: true ; its supervisor host has it in its environ: false',
      );
      // The snapshot holds the running supervisor's actor record (written 100 ms after a change).
      let text = '';
      const stored = await eventually(() => {
        text = existsSync(snapshot) ? readFileSync(snapshot, 'utf8') : '';
        return text.includes('JobSupervisor') && text.includes(id);
      }, 10_000);
      expect(stored, 'the snapshot shows the job and its supervisor').toBe(true);
      console.log(`snapshot while the job runs: ${text.length} bytes`);
      expect(text.includes(cluster.token), 'the token in the state snapshot').toBe(false);
      expect(text.includes(Buffer.from(cluster.token).toString('base64')), 'the token (base64) in the snapshot').toBe(
        false,
      );
      writeFileSync(go, '');
      expect((await jobs.wait(id, { timeoutMs: 30_000 })).state).toBe('SUCCEEDED');
    } finally {
      jobs.close();
    }
  });
});
