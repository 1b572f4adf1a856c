import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorDiedError, ResourcesInfeasibleError, type Cluster } from '../../src/index.js';
import { runCliToEnd, startTestCluster, type TestCluster } from '../fixtures/cluster.js';

type Counter = typeof import('../fixtures/actors.js').Counter;
type Failing = typeof import('../fixtures/actors.js').Failing;
const ACTORS = new URL('../fixtures/actors.ts', import.meta.url);

describe('a head and two worker agents as separate processes', () => {
  let cluster: TestCluster;
  let driver: Cluster;

  beforeAll(async () => {
    cluster = await startTestCluster({
      workers: [{ numCpus: 2 }, { numCpus: 2, resources: { ssd: 1 } }],
      heartbeatPeriodMs: 200,
      heartbeatTimeoutMs: 1500,
    });
    driver = await cluster.connect();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('registers both nodes with their resources', async () => {
    const status = await driver.status();
    const alive = status.nodes.filter((n) => n.state === 'ALIVE');
    expect(alive).toHaveLength(2);
    expect(alive.map((n) => n.total.CPU)).toEqual([2, 2]);
    expect(alive.find((n) => n.nodeId === cluster.workers[1]!.nodeId)!.total.ssd).toBe(1);
  });

  it('spreads, follows node affinity and custom resources', async () => {
    const C = driver.actorClass<Counter>(ACTORS, 'Counter');
    const a = await C.spawn([0], { schedulingStrategy: 'SPREAD', numCpus: 1 });
    const b = await C.spawn([0], { schedulingStrategy: 'SPREAD', numCpus: 1 });
    expect(a.nodeId).not.toBe(b.nodeId);
    const pinned = await C.spawn([0], { nodeAffinity: { nodeId: cluster.workers[0]!.nodeId } });
    expect(pinned.nodeId).toBe(cluster.workers[0]!.nodeId);
    const fast = await C.spawn([0], { resources: { ssd: 1 } });
    expect(fast.nodeId).toBe(cluster.workers[1]!.nodeId);
    expect(await fast.call.inc(2)).toBe(2);
    await Promise.all([a.kill(), b.kill(), pinned.kill(), fast.kill()]);
  });

  it('fails at once when no node can ever fit, naming the resource and the largest node', async () => {
    const C = driver.actorClass<Counter>(ACTORS, 'Counter');
    const t0 = Date.now();
    const err = await C.spawn([0], { numCpus: 3 }).catch((e: unknown) => e);
    // At once: not queued for capacity that can never come (a plain queued spawn waits forever).
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(err).toBeInstanceOf(ResourcesInfeasibleError);
    expect((err as Error).message).toMatch(/CPU/);
    expect((err as Error).message).toMatch(/largest node node-/);
  });

  it('lets another driver process find a named actor and change it', async () => {
    const C = driver.actorClass<Counter>(ACTORS, 'Counter');
    const c = await C.spawn([100], { name: 'shared-counter', namespace: 'team' });
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('../fixtures/driver.ts', import.meta.url).pathname, 'shared-counter', 'team', '5'],
      {
        env: { ...process.env, TROUPE_ADDRESS: cluster.address, TROUPE_TOKEN: cluster.token },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let errOut = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code, errOut).toBe(0);
    expect(JSON.parse(out)).toEqual({ value: 105, actorId: c.id });
    expect(await c.call.get()).toBe(105);
    await c.kill();
  });

  it('fails a call with ActorDiedError naming the signal when the actor process is killed', async () => {
    const F = driver.actorClass<Failing>(ACTORS, 'Failing');
    const f = await F.spawn(['ok']);
    const pending = f.call.suicide('SIGKILL');
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActorDiedError);
    expect((err as Error).message).toMatch(/signal SIGKILL/);
    expect((await f.state()).state).toBe('DEAD');
  });

  it('declares a killed worker dead and fails calls to its actors with node-lost', async () => {
    const extra = await cluster.addNode({ numCpus: 1, resources: { doomed: 1 } });
    const C = driver.actorClass<Counter>(ACTORS, 'Counter');
    const c = await C.spawn([0], { resources: { doomed: 1 } });
    expect(c.nodeId).toBe(extra.nodeId);
    expect(await c.call.inc(1)).toBe(1);
    await cluster.killNode(cluster.workers.indexOf(extra));
    const err = await c.call.inc(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActorDiedError);
    expect((err as Error).message).toMatch(new RegExp(`node ${extra.nodeId} was lost`));
    const node = (await driver.status()).nodes.find((n) => n.nodeId === extra.nodeId)!;
    expect(node.state).toBe('DEAD');
    expect(node.deathReason).toMatch(/no heartbeat/);
  });

  it('gives a GPU actor CUDA_VISIBLE_DEVICES for the GPUs it was given; fractions share a device', async () => {
    const gpuNode = await cluster.addNode({ numCpus: 1, numGpus: 2 });
    const F = driver.actorClass<Failing>(ACTORS, 'Failing');
    const whole = await F.spawn(['ok'], { numGpus: 1 });
    const halfA = await F.spawn(['ok'], { numGpus: 0.5 });
    const halfB = await F.spawn(['ok'], { numGpus: 0.5 });
    expect([whole.nodeId, halfA.nodeId, halfB.nodeId]).toEqual([gpuNode.nodeId, gpuNode.nodeId, gpuNode.nodeId]);
    expect(await whole.call.env('CUDA_VISIBLE_DEVICES')).toBe('0');
    expect(await halfA.call.env('CUDA_VISIBLE_DEVICES')).toBe('1');
    expect(await halfB.call.env('CUDA_VISIBLE_DEVICES')).toBe('1');
    // Both devices are taken (one whole, one by two halves): a third GPU actor waits, then gets device 0.
    const third = F.spawn(['ok'], { numGpus: 1 });
    const early = await Promise.race([third.then(() => 'placed'), sleep(300, 'waiting')]);
    expect(early).toBe('waiting');
    await whole.kill();
    const t = await third;
    expect(await t.call.env('CUDA_VISIBLE_DEVICES')).toBe('0');
    await Promise.all([t.kill(), halfA.kill(), halfB.kill()]);
  });

  it('refuses a worker with a wrong token, and the cluster keeps serving', async () => {
    const r = await runCliToEnd(['start', '--address', cluster.address, '--token', 'wrong-token'], cluster.env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/refused the cluster token/);
    expect((await driver.status()).nodes.filter((n) => n.state === 'ALIVE').length).toBeGreaterThanOrEqual(2);
  });
});
