/**
 * `troupe cluster up` over SSH into three network namespaces (head and two workers, each with its
 * own address on a bridge): every node joins, actors spread over the hosts, a cut link makes the
 * head declare the worker dead and move its restartable actors, and `up` twice changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Cluster } from '../../src/index.js';
import { ClusterLab, repoRoot, troupe } from '../../bench/lib/cluster-lab.js';
import { skipWithoutHosts } from './host-requirements.js';
import { eventually } from '../fixtures/embedded.js';

type Phoenix = typeof import('../fixtures/actors.js').Phoenix;
// Nodes run the built CLI without tsx: they load the compiled fixture.
const ACTORS = pathToFileURL(path.join(repoRoot(), 'dist/test/fixtures/actors.js'));

const TITLE = 'troupe cluster in network namespaces';
const skip = skipWithoutHosts(TITLE);

describe.skipIf(skip)(skip ? `${TITLE} (skipped: ${skip})` : TITLE, () => {
  let lab: ClusterLab;
  let driver: Cluster | undefined;
  let token = '';

  beforeAll(async () => {
    lab = await ClusterLab.start({ workers: 2, heartbeatPeriodMs: 200, heartbeatTimeoutMs: 2000, label: 'n' });
  });
  afterAll(async () => {
    await driver?.shutdown().catch(() => undefined);
    await troupe(['cluster', 'down', lab.file]).catch(() => undefined);
    await lab?.destroy();
  });

  it('starts the head and both workers on their own addresses, and a second up changes nothing', async () => {
    const up = await troupe(['cluster', 'up', lab.file]);
    expect(up.stderr).toMatch(/\[head\] setup 1\/1/);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stdout).toMatch(/is up in/);
    for (const n of lab.net.nodes)
      expect(up.stderr).toMatch(new RegExp(`joined as node-[0-9a-f]+ \\(${n.ip.replace(/\./g, '\\.')}:\\d+\\)`));
    const again = await troupe(['cluster', 'up', lab.file]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already up; nothing changed \(3 nodes running\)/);
    expect(again.stderr).not.toMatch(/starting the/);
    token = (await troupe(['cluster', 'token', lab.file])).stdout.trim();
    expect(token.length).toBeGreaterThan(16);
    // A file whose token is not the running head's is refused, and nothing is started.
    const other = lab.file.replace(/\.yaml$/, '-other.yaml');
    writeFileSync(other, `${lab.yaml}token: not-the-token-of-this-cluster\n`);
    const wrong = await troupe(['cluster', 'up', other]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/a head of cluster \S+ runs on \S+ with another token than/);
  });

  it('runs a job submitted from this machine on the cluster, with its logs', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-netns-job-'));
    writeFileSync(
      path.join(dir, 'main.mjs'),
      `import { connect } from ${JSON.stringify(pathToFileURL(path.join(repoRoot(), 'dist/src/index.js')).href)};
const c = await connect();
const s = await c.status();
console.log('driver sees', s.nodes.filter((n) => n.state === 'ALIVE').length, 'nodes from', process.env.TROUPE_ADDRESS);
await c.shutdown();
`,
    );
    const r = await troupe(['job', 'submit', '--working-dir', dir, '--follow', '--', 'node', 'main.mjs'], {
      TROUPE_ADDRESS: lab.headAddress,
      TROUPE_TOKEN: token,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`driver sees 3 nodes from ${lab.headAddress}`);
    expect(r.stderr).toMatch(/SUCCEEDED/);
  });

  it('places actors across hosts, and moves the restartable ones off a worker whose link is cut', async () => {
    driver = await connect({ address: lab.headAddress, token });
    const status = await driver.status();
    const hosts = new Set(status.nodes.map((n) => n.address.split(':')[0]));
    expect(hosts).toEqual(new Set(lab.net.nodes.map((n) => n.ip)));
    const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const spread = await Promise.all(
      [0, 1, 2].map((i) => P.spawn([`s${i}`], { schedulingStrategy: 'SPREAD', numCpus: 1 })),
    );
    const placed = await driver.status();
    const nodeOf = (id: string): string => placed.actors.find((a) => a.actorId === id)!.nodeId;
    expect(new Set(spread.map((a) => nodeOf(a.id))).size).toBe(3);

    const victimIp = lab.net.nodes[2]!.ip;
    const victim = placed.nodes.find((n) => n.address.startsWith(`${victimIp}:`))!;
    const mover = await P.spawn(['mover'], {
      name: 'mover',
      maxRestarts: 1,
      nodeAffinity: { nodeId: victim.nodeId, soft: true },
    });
    expect(await mover.call.inc(5)).toBe(5);
    lab.net.cut(2);
    const t0 = performance.now();
    expect(
      await eventually(
        async () => (await driver!.status()).nodes.find((n) => n.nodeId === victim.nodeId)?.state === 'DEAD',
        15_000,
        200,
      ),
    ).toBe(true);
    console.log(`[netns] node declared dead ${Math.round(performance.now() - t0)} ms after its link was cut`);
    const after = await driver.status();
    expect(after.nodes.find((n) => n.nodeId === victim.nodeId)!.deathReason).toMatch(/no heartbeat/);
    expect(
      await eventually(
        async () => (await driver!.status()).actors.find((a) => a.actorId === mover.id)?.state === 'ALIVE',
        15_000,
        200,
      ),
    ).toBe(true);
    console.log(`[netns] actor alive elsewhere ${Math.round(performance.now() - t0)} ms after the cut`);
    const moved = (await driver.status()).actors.find((a) => a.actorId === mover.id)!;
    expect(moved.nodeId).not.toBe(victim.nodeId);
    expect(moved.numRestarts).toBe(1);
    // A driver that looks it up now reaches the restarted actor (the constructor ran again, elsewhere).
    // (This driver's own stream to the old host is half-open behind the cut: it only learns of it
    // from gRPC keepalive, ~40 s, so it is not used here.)
    const fresh = await connect({ address: lab.headAddress, token });
    try {
      expect(await (await fresh.getActor<Phoenix>('mover')).call.inc(1)).toBe(1);
    } finally {
      await fresh.shutdown();
    }
    const cs = await troupe(['cluster', 'status', lab.file]);
    expect(cs.code, cs.stderr).toBe(0);
    expect(cs.stdout).toMatch(/Nodes: 2 alive, 1 dead/);
  });

  it('stops everything it can reach, and names the host it cannot', async () => {
    await driver?.shutdown();
    driver = undefined;
    const down = await troupe(['cluster', 'down', lab.file]);
    expect(down.code).toBe(1); // the cut worker cannot be reached
    expect(down.stdout).toMatch(
      new RegExp(`${lab.net.nodes[2]!.ip.replace(/\./g, '\\.')}\\s+unreachable: cannot reach`),
    );
    expect(down.stdout).toMatch(/head\s+\S+\s+stopped/);
    lab.net.heal(2);
    const again = await troupe(['cluster', 'down', lab.file]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toMatch(/is down/);
  });
});
