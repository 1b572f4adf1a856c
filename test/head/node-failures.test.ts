import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster } from '../../src/index.js';
import { startTestCluster, type TestCluster } from '../fixtures/cluster.js';
import { eventually, sleep } from '../fixtures/embedded.js';

type Phoenix = typeof import('../fixtures/actors.js').Phoenix;
const ACTORS = new URL('../fixtures/actors.ts', import.meta.url);

/** Running, as opposed to gone or a zombie (its frozen parent cannot reap it). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

describe('node failures', () => {
  let cluster: TestCluster;
  let driver: Cluster;

  beforeAll(async () => {
    cluster = await startTestCluster({
      workers: [{ numCpus: 4 }, { numCpus: 4 }],
      // Hosts stop after 4 periods (1.6 s) without a tick; the head waits 4 s. Shorter silences
      // were read as a frozen agent when a busy machine (the whole suite) starved it for a second.
      heartbeatPeriodMs: 400,
      heartbeatTimeoutMs: 4000,
    });
    driver = await cluster.connect();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('declares a killed worker dead and restarts its restartable actors on the other node', async () => {
    const extra = await cluster.addNode({ numCpus: 2, resources: { spare: 1 } });
    const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const mover = await P.spawn(['mover'], {
      maxRestarts: 1,
      maxTaskRetries: 1,
      nodeAffinity: { nodeId: extra.nodeId, soft: true },
    });
    const stayer = await P.spawn(['stayer'], { nodeAffinity: { nodeId: extra.nodeId, soft: true } });
    expect(mover.nodeId).toBe(extra.nodeId);
    expect(await mover.call.inc(1)).toBe(1);
    await cluster.killNode(cluster.workers.indexOf(extra));
    // The call waits for the node to be declared dead and the actor restarted elsewhere, then runs there.
    expect(await mover.call.inc(10)).toBe(10);
    const moved = await mover.state();
    expect(moved.state).toBe('ALIVE');
    expect(moved.nodeId).not.toBe(extra.nodeId);
    expect(moved.numRestarts).toBe(1);
    const gone = await stayer.state();
    expect(gone.state).toBe('DEAD');
    expect(gone.death).toEqual({ type: 'node-lost', nodeId: extra.nodeId });
    await mover.kill();
  });

  it('keeps an actor whose own method blocks its process longer than the fence silence', async () => {
    // With a 400 ms heartbeat the host stops after 1.6 s without a word from its agent. A method that
    // blocks the host's event loop for 2.5 s leaves the agent's ticks unread meanwhile: that must
    // not count as the agent falling silent.
    const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['spinner']);
    const pid = await a.call.pid();
    expect(await a.call.spin(2500)).toBe(1);
    await sleep(600);
    expect(alive(pid)).toBe(true);
    expect(await a.call.inc(1)).toBe(2);
    expect((await a.state()).numRestarts).toBe(0);
    await a.kill();
  });

  it('fences a paused worker: its actors stop before they restart elsewhere, and it rejoins as a new node', async () => {
    const paused = await cluster.addNode({ numCpus: 2, resources: { pausable: 1 } });
    const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['paused'], { maxRestarts: 1, nodeAffinity: { nodeId: paused.nodeId, soft: true } });
    expect(a.nodeId).toBe(paused.nodeId);
    const oldPid = await a.call.pid();
    paused.child.kill('SIGSTOP');
    try {
      // Declared dead after the 4 s timeout, the actor restarts on another node...
      expect(
        await eventually(async () => {
          const s = await a.state();
          return s.state === 'ALIVE' && s.numRestarts === 1;
        }, 15_000),
      ).toBe(true);
      // ...while the old process stopped on its own when its agent fell silent: never two at once.
      expect(alive(oldPid)).toBe(false);
      const status = await driver.status();
      expect(status.nodes.find((n) => n.nodeId === paused.nodeId)!.state).toBe('DEAD');
    } finally {
      paused.child.kill('SIGCONT');
    }
    // The worker learns it was declared dead and joins again as a new node.
    expect(
      await eventually(async () => {
        const nodes = (await driver.status()).nodes;
        return nodes.some((n) => n.state === 'ALIVE' && n.nodeId !== paused.nodeId && n.total.pausable === 1);
      }, 15_000),
    ).toBe(true);
    await sleep(500);
    const status = await driver.status();
    expect(status.actors.filter((x) => x.actorId === a.id)).toHaveLength(1);
    expect(await a.call.inc(1)).toBe(1);
    await a.kill();
  });
});
