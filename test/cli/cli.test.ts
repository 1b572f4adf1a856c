import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliToEnd, startTestCluster, waitForLine, type TestCluster } from '../fixtures/cluster.js';

describe('troupe status against a running cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ workers: [{ numCpus: 2, resources: { ssd: 1 } }] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('prints nodes with used/total resources and actors by state', async () => {
    const driver = await cluster.connect();
    const C = driver.actorClass<typeof import('../fixtures/actors.js').Counter>(
      new URL('../fixtures/actors.ts', import.meta.url),
      'Counter',
    );
    const c = await C.spawn([0], { numCpus: 1, name: 'visible' });
    const r = await runCliToEnd(['status', '--address', cluster.address, '--token', cluster.token], cluster.env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Cluster at ${cluster.address}`);
    expect(r.stdout).toMatch(/Nodes: 1 alive, 0 dead/);
    expect(r.stdout).toMatch(/1\/2/); // one CPU of two in use
    expect(r.stdout).toMatch(/Actors: 1 alive/);
    expect(r.stdout).toContain('default/visible');
    await c.kill();
  });

  it('prints JSON with --json, reading the address and token from the environment', async () => {
    const r = await runCliToEnd(['status', '--json'], {
      ...cluster.env,
      TROUPE_ADDRESS: cluster.address,
      TROUPE_TOKEN: cluster.token,
    });
    expect(r.code, r.stderr).toBe(0);
    const status = JSON.parse(r.stdout) as { nodes: Array<{ total: Record<string, number> }> };
    expect(status.nodes[0]!.total).toMatchObject({ CPU: 2, ssd: 1 });
  });

  it('reports a wrong token clearly, with a non-zero exit', async () => {
    const r = await runCliToEnd(['status', '--address', cluster.address, '--token', 'nope'], cluster.env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refused the cluster token/);
  });
});

describe('troupe start --daemon and troupe stop', () => {
  const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'troupe-cli-'));
  const env = { TROUPE_TMPDIR: tmpdir };
  afterAll(async () => {
    await runCliToEnd(['stop', '--force'], env);
    rmSync(tmpdir, { recursive: true, force: true });
  });

  it('starts a head in the background with a generated token kept owner-only, then stops it', async () => {
    const started = await runCliToEnd(
      ['start', '--head', '--port', '0', '--num-cpus', '1', '--warm-pool', '0', '--daemon'],
      env,
    );
    expect(started.code, started.stderr).toBe(0);
    const token = /token: (\S+)/.exec(started.stdout)?.[1];
    expect(token).toBeTruthy();
    const session = path.join(tmpdir, 'session_latest');
    const tokenFile = path.join(session, 'token');
    expect(readFileSync(tokenFile, 'utf8')).toBe(token);
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    // The head, and its local worker agent in a process of its own.
    const pids = readdirSync(path.join(session, 'pids')).sort();
    expect(pids).toHaveLength(2);
    expect(pids[0]).toMatch(/^head-\d+\.pid$/);
    expect(pids[1]).toMatch(/^worker-\d+\.pid$/);
    const pid = Number(readFileSync(path.join(session, 'pids', pids[0]!), 'utf8'));
    const agentPid = Number(readFileSync(path.join(session, 'pids', pids[1]!), 'utf8'));
    expect(agentPid).not.toBe(pid);
    expect(existsSync(path.join(session, 'logs'))).toBe(true);

    // No flags: status finds the local head's address and token in the session folder.
    const status = await runCliToEnd(['status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/Nodes: 1 alive/);

    const stopped = await runCliToEnd(['stop'], env);
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toMatch(new RegExp(`Stopped 2 troupe processes: worker ${agentPid}, head ${pid}`));
    expect(() => process.kill(pid, 0)).toThrow();
    expect(() => process.kill(agentPid, 0)).toThrow();
    const again = await runCliToEnd(['stop'], env);
    expect(again.stdout).toMatch(/No troupe processes/);
  });
});

describe('troupe start --head on a busy port', () => {
  const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'troupe-cli-busy-'));
  const env = { TROUPE_TMPDIR: tmpdir };
  afterAll(async () => {
    await runCliToEnd(['stop', '--force'], env);
    rmSync(tmpdir, { recursive: true, force: true });
  });

  it('changes nothing: a clear error naming the port, no grpc log line, the running head still found', async () => {
    const first = runCli(['start', '--head', '--port', '0', '--no-worker', '--token', 'busy-port-token'], env);
    const { match } = await waitForLine(first, /Troupe head started at (\S+)/);
    const address = match[1]!;
    const port = address.split(':').pop()!;
    const latest = path.join(tmpdir, 'session_latest');
    const before = { link: readlinkSync(latest), sessions: readdirSync(tmpdir).sort() };
    // --no-worker: a head alone, no local worker agent beside it.
    expect(readdirSync(path.join(latest, 'pids'))).toEqual([`head-${first.pid}.pid`]);

    const second = await runCliToEnd(['start', '--head', '--port', port, '--no-worker'], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`cannot listen on ${address}: port ${port} is already in use`);
    expect(second.stderr).toMatch(/--port/);
    expect(second.stderr).not.toMatch(/No address added/);
    expect(second.stdout).toBe('');
    // No new session folder, and the link still names the head that runs.
    expect(readlinkSync(latest)).toBe(before.link);
    expect(readdirSync(tmpdir).sort()).toEqual(before.sessions);
    const status = await runCliToEnd(['status'], env);
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`Cluster at ${address}`);
  });
});

describe('troupe flag errors', () => {
  it.each([
    [['start'], /needs --head .* or --address/],
    [['start', '--address', 'nohost'], /--address must be HOST:PORT, got 'nohost'/],
    [['start', '--address', '127.0.0.1:1'], /needs its token/],
    [['start', '--head', '--num-cpus', '-1'], /--num-cpus must be a number >= 0, got '-1'/],
    [['start', '--head', '--resources', '{"ssd": "lots"}'], /--resources: 'ssd' must be a number >= 0/],
    [['start', '--head', '--resources', '{"CPU": 4}'], /custom resource 'CPU' is reserved/],
    [['start', '--head', '--address', '127.0.0.1:5'], /exclude each other/],
    [['status', '--address', '127.0.0.1:9'], /needs the cluster token/],
  ])('troupe %j fails with a message naming the problem', async (args, message) => {
    const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'troupe-cli-flags-'));
    try {
      const r = await runCliToEnd(args as string[], { TROUPE_TMPDIR: tmpdir });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message as RegExp);
      // A refused start leaves no session behind that later commands would pick up.
      expect(existsSync(path.join(tmpdir, 'session_latest'))).toBe(false);
    } finally {
      rmSync(tmpdir, { recursive: true, force: true });
    }
  });
});

describe('a token given with --token', () => {
  const tmpdir = mkdtempSync(path.join(os.tmpdir(), 'troupe-cli-cmdline-'));
  const env = { TROUPE_TMPDIR: tmpdir };
  afterAll(async () => {
    await runCliToEnd(['stop', '--force'], env);
    rmSync(tmpdir, { recursive: true, force: true });
  });

  it('is not on the command line every user can read, in the foreground or as a daemon', async () => {
    const token = 'cmdline-secret-0123456789';
    const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
    const fg = runCli(['start', '--head', '--port', '0', '--no-worker', '--token', token], env);
    await waitForLine(fg, /Troupe head started at/, 60_000);
    expect(cmdline(fg.pid!)).toMatch(/start --head --port 0 --no-worker --token \*\*\*/);
    expect(cmdline(fg.pid!)).not.toContain(token);
    fg.kill('SIGTERM');
    await new Promise((r) => fg.once('exit', r));
    const bg = await runCliToEnd(['start', '--head', '--port', '0', '--daemon', `--token=${token}`], env);
    expect(bg.code, bg.stderr).toBe(0);
    const pids = path.join(tmpdir, 'session_latest', 'pids');
    for (const f of readdirSync(pids)) {
      const pid = Number(readFileSync(path.join(pids, f), 'utf8'));
      expect(cmdline(pid), f).toMatch(/cli[/]/);
      expect(cmdline(pid), f).not.toContain(token);
    }
    expect(readdirSync(pids)).toHaveLength(2);
  });
});

describe('troupe start --token', () => {
  it('refuses a token that cannot travel (over 1024 characters, spaces, non-ASCII) before anything starts', async () => {
    for (const [token, why] of [
      ['x'.repeat(1025), 'got 1025 characters'],
      ['two words', 'with others among them'],
      ['tökén', 'with others among them'],
    ] as const) {
      const r = await runCliToEnd(['start', '--head', '--port', '0', '--token', token]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--token must be 1-1024 printable ASCII characters without spaces');
      expect(r.stderr).toContain(why);
      expect(r.stdout).not.toMatch(/head started/);
    }
  });
});

describe('troupe --version', () => {
  it("prints the package's version and exits 0", async () => {
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const r = await runCliToEnd([flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(pkg.version);
    }
  });
});
