/**
 * A cluster of one node, declared dead and back: an actor with restarts left waits as
 * RESTARTING while no node can hold it, and restarts on the node that joins again.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Cluster } from '../../src/index.js';
import { ACTORS, eventually, sleep, startTestCluster, type TestCluster } from '../fixtures/index.js';

type Phoenix = typeof import('../fixtures/actors.js').Phoenix;

let cluster: TestCluster;
let driver: Cluster;

beforeAll(async () => {
  cluster = await startTestCluster({ workers: [{ numCpus: 2 }], heartbeatPeriodMs: 200, heartbeatTimeoutMs: 2000 });
  driver = await cluster.connect();
});
afterAll(async () => {
  await cluster?.stop();
});

it('keeps an actor with restarts left RESTARTING while its only node is dead, and restarts it when a node joins', async () => {
  const [node] = cluster.workers;
  const P = driver.actorClass<Phoenix>(ACTORS, 'Phoenix');
  const a = await P.spawn(['lone'], { maxRestarts: 1 });
  const b = await P.spawn(['pinned'], { maxRestarts: 1, nodeAffinity: { nodeId: node!.nodeId, soft: false } });
  expect(a.nodeId).toBe(node!.nodeId);
  const oldPid = await a.call.pid();
  node!.child.kill('SIGSTOP');
  let declaredDeadMs = 0;
  try {
    const t0 = performance.now();
    expect(
      await eventually(
        async () => (await driver.status()).nodes.every((n) => n.nodeId !== node!.nodeId || n.state === 'DEAD'),
        15_000,
      ),
    ).toBe(true);
    declaredDeadMs = performance.now() - t0;
    await sleep(1000);
    const waiting = await a.state();
    // Not DEAD: no node exists at this moment, but one may join.
    expect(waiting.state).toBe('RESTARTING');
    expect(waiting.numRestarts).toBe(1);
    // Pinned to the dead node, which never comes back under its id: that one cannot restart.
    const pinned = await b.state();
    expect(pinned.state).toBe('DEAD');
    expect(pinned.death).toEqual({ type: 'node-lost', nodeId: node!.nodeId });
  } finally {
    node!.child.kill('SIGCONT');
  }
  const t1 = performance.now();
  expect(
    await eventually(async () => {
      const s = await a.state();
      return s.state === 'ALIVE' && s.numRestarts === 1;
    }, 20_000),
  ).toBe(true);
  const back = await a.state();
  console.log(
    `lone node: declared dead after ${(declaredDeadMs / 1000).toFixed(1)} s; the actor waited RESTARTING and ` +
      `was ALIVE again ${((performance.now() - t1) / 1000).toFixed(1)} s after the node resumed, on ${back.nodeId}`,
  );
  expect(back.nodeId).not.toBe(node!.nodeId); // the node rejoined under a new id
  // The old host stopped itself while its agent was frozen; the resumed agent reaped it.
  expect(existsSync(`/proc/${oldPid}`)).toBe(false);
  expect(await a.call.pid()).not.toBe(oldPid);
  expect(await a.call.inc(1)).toBe(1); // a fresh instance
  await a.kill();
}, 90_000);
