/**
 * Every command that talks to a head tells "nothing listens there" (answered at once, from one TCP
 * connect) from "the head this machine started is restarting" (its process lives: wait, say so),
 * in one message style, never with gRPC's own words.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliToEnd } from '../fixtures/cluster.js';

/** A port nothing listens on: bound once by the OS, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** A TROUPE_TMPDIR whose latest session is a head at `address` with the given head pid files. */
function fakeSession(root: string, address: string, pids: number[]): string {
  const dir = path.join(root, `session_20260101_000000_head_${pids[0] ?? 1}`);
  mkdirSync(path.join(dir, 'pids'), { recursive: true });
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  writeFileSync(path.join(dir, 'head_address'), address);
  writeFileSync(path.join(dir, 'token'), 'session-token', { mode: 0o600 });
  for (const pid of pids) writeFileSync(path.join(dir, 'pids', `head-${pid}.pid`), String(pid));
  rmSync(path.join(root, 'session_latest'), { force: true });
  symlinkSync(dir, path.join(root, 'session_latest'));
  return dir;
}

/** A pid that no process has: a child that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'troupe-unreachable-'));
let address: string;
let port: number;

beforeAll(async () => {
  port = await closedPort();
  address = `127.0.0.1:${port}`;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('a command against an address where nothing listens', () => {
  const commands: Array<[string, (a: string) => string[]]> = [
    ['status', (a) => ['status', '--address', a, '--token', 't']],
    ['job list', (a) => ['job', 'list', '--address', a, '--token', 't']],
    ['job status', (a) => ['job', 'status', 'j1', '--address', a, '--token', 't']],
    ['job logs', (a) => ['job', 'logs', 'j1', '--address', a, '--token', 't']],
    ['job stop', (a) => ['job', 'stop', 'j1', '--address', a, '--token', 't']],
    ['job submit', (a) => ['job', 'submit', '--address', a, '--token', 't', '--', 'node', 'main.js']],
  ];

  it.each(commands)('%s says nothing listens there, at once, exit 1', async (name, args) => {
    const t0 = performance.now();
    const r = await runCliToEnd(args(address), { TROUPE_TMPDIR: path.join(tmp, 'none') }, 60_000);
    const ms = performance.now() - t0;
    console.log(`troupe ${name} against a closed port answered in ${ms.toFixed(0)} ms (CLI start under tsx included)`);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`troupe: nothing listens at ${address} (connection refused): no head runs there`);
    expect(r.stderr).toContain('troupe start --head');
    expect(r.stderr).not.toMatch(/No connection established|Resolution note|unexpected error/);
    expect(r.stdout).toBe('');
    // Before, `status` waited out its 30 s head timeout; a generous bound for a shared machine.
    expect(ms).toBeLessThan(20_000);
  });

  it('start --address (a worker joining) says it at once, in the same words, and waits for a head', async () => {
    const t0 = performance.now();
    const child = runCli(['start', '--address', address, '--token', 't'], { TROUPE_TMPDIR: path.join(tmp, 'join') });
    let err = '';
    const said = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('waiting for a head')) {
          clearTimeout(timer);
          resolve(true);
        }
      });
      child.once('exit', () => resolve(false));
    });
    const ms = performance.now() - t0;
    console.log(`troupe start --address against a closed port said so in ${ms.toFixed(0)} ms`);
    expect(said, err).toBe(true);
    expect(err).toContain(`troupe: nothing listens at ${address} (connection refused): no head runs there`);
    expect(child.exitCode).toBeNull(); // still waiting, as a worker unit started before its head must
    // About a second (one TCP connect after the CLI starts under tsx); a generous bound for a shared machine.
    expect(ms).toBeLessThan(15_000);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });

  it('cluster status says it the same way for the head of a cluster.yaml', async () => {
    const file = path.join(tmp, 'cluster.yaml');
    writeFileSync(
      file,
      `cluster_name: lab\ninstall_dir: /opt/troupe\ntoken: 0123456789abcdef0123\nhead:\n  host: 127.0.0.1\n  port: ${port}\n`,
    );
    const t0 = performance.now();
    const r = await runCliToEnd(['cluster', 'status', file], { TROUPE_TMPDIR: path.join(tmp, 'none') }, 60_000);
    console.log(`troupe cluster status against a closed port answered in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`troupe: nothing listens at ${address} (connection refused)`);
  });
});

describe('an address the local session says a head serves', () => {
  it('whose head process is gone: says it is not running and how to start it again, at once', async () => {
    const root = path.join(tmp, 'dead');
    const pid = await deadPid();
    fakeSession(root, address, [pid]);
    const t0 = performance.now();
    const r = await runCliToEnd(['status'], { TROUPE_TMPDIR: root }, 60_000);
    const ms = performance.now() - t0;
    console.log(`troupe status with a dead local head answered in ${ms.toFixed(0)} ms`);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`troupe: nothing listens at ${address} (connection refused): the head started here`);
    expect(r.stderr).toContain(`pid ${pid}`);
    expect(r.stderr).toMatch(/is not running; start it again with `troupe start --head`/);
    // Not a wait for the head: that is its 30 s timeout, or RESTART_WAIT_MS for a live head process.
    expect(ms).toBeLessThan(15_000);
  });

  it('whose head process lives: says it is restarting and waits, until that process is gone', async () => {
    const root = path.join(tmp, 'alive');
    const head: ChildProcess = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
    await new Promise((r) => head.once('spawn', r));
    fakeSession(root, address, [head.pid!]);
    const cli = runCli(['job', 'list'], { TROUPE_TMPDIR: root });
    let stderr = '';
    cli.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => cli.once('exit', r));
    try {
      await expect
        .poll(() => stderr, { timeout: 20_000, interval: 100 })
        .toContain(`troupe: the head at ${address} (pid ${head.pid}) is starting or restarting`);
      expect(stderr).toMatch(/waiting up to 30 s/);
      expect(cli.exitCode).toBeNull(); // still waiting for it
      head.kill('SIGKILL');
      expect(await exited).toBe(1);
      expect(stderr).toMatch(/the head started here \(pid \d+, session [^)]+\) is not running/);
    } finally {
      head.kill('SIGKILL');
      cli.kill('SIGKILL');
    }
  });
});
