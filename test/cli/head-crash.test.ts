/**
 * kill -9 of a `troupe start --head` process spares the actors on the head's machine: the local
 * worker agent is a process of its own, the driver's calls go straight to the actor's host, and
 * the restarted head (same port, same memory:// snapshot) takes the agent back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { connect, type Cluster } from '../../src/index.js';
import { ACTORS, eventually, sleep, waitForLine } from '../fixtures/index.js';

type Phoenix = typeof import('../fixtures/actors.js').Phoenix;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/src/cli/main.js');
const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'troupe-head-crash-'));
const env = { ...process.env, TROUPE_TMPDIR: tmpdir, TROUPE_ADDRESS: '', TROUPE_TOKEN: '' };
const token = `head-crash-${process.pid}`;

/** The built CLI, as a user runs it. */
const troupe = (args: string[]): ChildProcess =>
  spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });

/** Pids in the pid files of every session here, by role. */
const pidFiles = (role: string): number[] =>
  readdirSync(tmpdir)
    .filter((d) => d.startsWith('session_') && d !== 'session_latest')
    .flatMap((d) => {
      const dir = path.join(tmpdir, d, 'pids');
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${role}-`)) : [];
    })
    .map((f) => Number(/-(\d+)\.pid$/.exec(f)![1]));

let driver: Cluster | undefined;
afterAll(async () => {
  await driver?.shutdown().catch(() => undefined);
  await new Promise((resolve) => troupe(['stop', '--force']).once('exit', resolve));
  rmSync(tmpdir, { recursive: true, force: true });
});

it('kill -9 of the head process spares a detached actor on its machine: no failed call, the same process', async () => {
  expect(existsSync(MAIN), 'run `npm run build` first (npm test does)').toBe(true);
  const state = `memory://${path.join(tmpdir, 'state.json')}`;
  const args = (port: string): string[] => [
    'start',
    '--head',
    '--port',
    port,
    '--token',
    token,
    '--state',
    state,
    '--num-cpus',
    '2',
    '--warm-pool',
    '1',
    // The driver runs under vitest, whose --require the head passes on to actor processes.
    '--allow-exec-argv',
  ];
  const first = troupe(args('0'));
  const started = await waitForLine(first, /Troupe head started at (\S+) \(pid (\d+)\)/, 60_000);
  const address = started.match[1]!;
  const headPid = Number(started.match[2]);
  expect(first.pid).toBe(headPid);
  const agentLine = /local worker (node-[0-9a-f]+) \(pid (\d+)\)/.exec(await outputSoon(started.output));
  expect(agentLine, started.output()).not.toBeNull();
  const [nodeId, agentPid] = [agentLine![1]!, Number(agentLine![2])];
  expect(agentPid).not.toBe(headPid);
  // The token reached the agent over its IPC channel: neither its command line nor its environment holds it.
  expect(readFileSync(`/proc/${agentPid}/cmdline`, 'utf8')).not.toContain(token);
  expect(readFileSync(`/proc/${agentPid}/environ`, 'utf8')).not.toContain(token);

  driver = await connect({ address, token });
  const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
  const actor = await P.spawn(['survivor'], { name: 'survivor', lifetime: 'detached' });
  expect(actor.nodeId).toBe(nodeId);
  const pidBefore = await actor.call.pid();

  let calls = 0;
  const failures: string[] = [];
  const t0 = performance.now();
  const loop = (async () => {
    while (performance.now() - t0 < 10_000) {
      try {
        await actor.call.inc(1);
        calls++;
      } catch (err) {
        failures.push((err as Error).message);
      }
      await sleep(20);
    }
  })();
  await sleep(2000);
  const exited = new Promise((resolve) => first.once('exit', resolve));
  process.kill(headPid, 'SIGKILL'); // the head only: its agent and the actor's host are other processes
  await exited;
  const callsAtKill = calls;
  await sleep(3000);
  const callsWhileDown = calls - callsAtKill;
  const restartedAt = performance.now() - t0;
  const second = troupe(args(address.split(':').pop()!));
  const restarted = await waitForLine(second, /Troupe head started at (\S+) \(pid (\d+)\)/, 60_000);
  expect(restarted.match[1]).toBe(address);
  await loop;

  const pidAfter = await actor.call.pid().catch((err: Error) => `none (${err.message.slice(0, 80)})`);
  const info = await actor.state();
  console.log(
    `head kill -9: ${calls} calls every 20 ms over 10 s, ${failures.length} failed, ${callsWhileDown} answered ` +
      `in the 3 s the head was down (restarted at ${(restartedAt / 1000).toFixed(1)} s); actor pid ${pidBefore} ` +
      `before, ${pidAfter} after; agent pid ${agentPid}, kept`,
  );
  expect(failures).toEqual([]);
  const kept = /local worker \S+ \(pid (\d+), kept running/.exec(await outputSoon(restarted.output));
  expect(kept, restarted.output()).not.toBeNull();
  expect(Number(kept![1])).toBe(agentPid);
  expect(callsWhileDown).toBeGreaterThan(0);
  expect(pidAfter).toBe(pidBefore);
  expect(info.state).toBe('ALIVE');
  expect(info.numRestarts).toBe(0);
  // The agent registered again under its own id, and no second agent was started.
  expect(
    await eventually(async () => {
      const nodes = (await driver!.status()).nodes.filter((n) => n.state === 'ALIVE');
      return nodes.length === 1 && nodes[0]!.nodeId === nodeId;
    }, 15_000),
  ).toBe(true);
  expect(pidFiles('worker')).toEqual([agentPid]);
  expect(await actor.call.inc(1)).toBe(calls + 1);
  await actor.kill();
}, 120_000);

/** The banner's later lines arrive just after its first. */
async function outputSoon(output: () => string): Promise<string> {
  for (let i = 0; i < 50 && !/logs:/.test(output()); i++) await sleep(20);
  return output();
}
