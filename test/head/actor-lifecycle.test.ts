/**
 * Actor lifecycle on an embedded cluster of 2 CPUs: spawn, call, kill; infeasible requests fail at
 * once; queued requests are placed when capacity frees; a process that dies mid-call is reported
 * with its exit code or signal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorDiedError, ResourcesInfeasibleError, type Cluster } from '../../src/index.js';
import type { Counter, Failing } from '../fixtures/actors.js';
import { ACTORS, rejection, sleep, startEmbeddedCluster, timed, type EmbeddedCluster } from '../fixtures/index.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 2 });
  cluster = embedded.driver;
});

afterAll(async () => {
  await embedded?.stop();
});

const counters = () => cluster.actorClass<typeof Counter>(ACTORS, 'Counter');

describe('spawn, call, kill', () => {
  it('an actor is ALIVE after spawn, answers calls, and after kill fails calls with ActorDiedError (killed by the user)', async () => {
    const c = await counters().spawn([10], { name: 'life-1' });
    expect(await c.call.inc(5)).toBe(15);
    expect(await c.call.get()).toBe(15);
    const alive = await c.state();
    expect(alive.state).toBe('ALIVE');
    expect(alive.pid).toBeGreaterThan(0);
    expect(alive.pid).not.toBe(process.pid);

    // A second handle to the same actor has no local "killed" flag: its call must go to the
    // actor's process and learn from the head why it is gone.
    const other = await cluster.getActor<typeof Counter>('life-1');
    const inFlight = c.call.slowInc(1, 5_000);
    await sleep(50);
    await c.kill();

    const fromInFlight = await rejection(inFlight);
    expect(fromInFlight).toBeInstanceOf(ActorDiedError);
    expect(fromInFlight.message).toMatch(/killed by the user/);

    const fromSameHandle = await rejection(c.call.inc(1));
    expect(fromSameHandle).toBeInstanceOf(ActorDiedError);
    expect(fromSameHandle.message).toMatch(/killed by the user/);

    const fromOtherHandle = await rejection(other.call.inc(1));
    expect(fromOtherHandle).toBeInstanceOf(ActorDiedError);
    expect(fromOtherHandle.message).toContain(c.id);
    expect(fromOtherHandle.message).toMatch(/killed by the user/);
    expect((fromOtherHandle as ActorDiedError).death).toEqual({ type: 'killed', by: 'user' });

    const dead = await c.state();
    expect(dead.state).toBe('DEAD');
    expect(dead.death).toEqual({ type: 'killed', by: 'user' });
    const status = await cluster.status();
    const row = status.actors.find((a) => a.actorId === c.id);
    expect(row?.state).toBe('DEAD');
    expect(row?.death).toEqual({ type: 'killed', by: 'user' });
    expect(status.actorsByState.DEAD).toBeGreaterThanOrEqual(1);
    // The name is free again once its holder is dead.
    const again = await counters().spawn([0], { name: 'life-1' });
    expect(again.id).not.toBe(c.id);
    await again.kill();
  });
});

describe('placement', () => {
  it('a request no node can ever satisfy fails at once with ResourcesInfeasibleError naming what is missing', async () => {
    const gpus = await timed(() => rejection(counters().spawn([0], { numGpus: 4 })));
    expect(gpus.value).toBeInstanceOf(ResourcesInfeasibleError);
    expect(gpus.value.message).toMatch(/GPU \(needs 4, the most any node has is 0\)/);
    expect(gpus.value.message).toMatch(/largest node node-\w+ has \{CPU: 2/);

    const tpu = await timed(() => rejection(counters().spawn([0], { resources: { tpu: 1 } })));
    expect(tpu.value).toBeInstanceOf(ResourcesInfeasibleError);
    expect(tpu.value.message).toMatch(/missing tpu \(needs 1, the most any node has is 0\)/);
    expect(tpu.value.message).toMatch(/largest node node-\w+ has \{CPU: 2/);

    const { ms: cpusMs, value: cpus } = await timed(() => rejection(counters().spawn([0], { numCpus: 3 })));
    expect(cpus).toBeInstanceOf(ResourcesInfeasibleError);
    expect(cpus.message).toMatch(/CPU \(needs 3, the most any node has is 2\)/);
    // At once: none was queued for capacity that can never come (a queued spawn waits forever).
    for (const ms of [gpus.ms, tpu.ms, cpusMs]) expect(ms).toBeLessThan(4000);

    // Nothing was queued or left behind.
    const status = await cluster.status();
    expect(status.pendingActors).toBe(0);
  });

  it('a request that does not fit now waits, and is placed as soon as a kill frees capacity', async () => {
    const a = await counters().spawn([1], { numCpus: 1 });
    const b = await counters().spawn([2], { numCpus: 1 });
    let third: Awaited<ReturnType<ReturnType<typeof counters>['spawn']>> | undefined;
    let failed: unknown;
    const pending = counters()
      .spawn([3], { numCpus: 1 })
      .then(
        (h) => (third = h),
        (e: unknown) => (failed = e),
      );
    await sleep(300);
    expect(failed).toBeUndefined();
    expect(third).toBeUndefined();
    const waiting = await cluster.status();
    expect(waiting.pendingActors).toBe(1);
    expect(waiting.nodes[0]?.available.CPU ?? 0).toBe(0);

    const placed = await timed(async () => {
      await a.kill();
      await pending;
    });
    // As soon as: placed by the kill itself, not by a later sweep (nothing else frees capacity here).
    expect(placed.ms).toBeLessThan(4000);
    expect(failed).toBeUndefined();
    expect(third).toBeDefined();
    expect(await third!.call.inc(1)).toBe(4);
    expect((await third!.state()).state).toBe('ALIVE');
    const after = await cluster.status();
    expect(after.pendingActors).toBe(0);
    expect(after.nodes[0]?.available.CPU ?? 0).toBe(0);

    await Promise.all([b.kill(), third!.kill()]);
    const freed = await cluster.status();
    expect(freed.nodes[0]?.available.CPU).toBe(2);
  });
});

describe('an actor process that dies mid-call', () => {
  const failing = () => cluster.actorClass<typeof Failing>(ACTORS, 'Failing');

  it('fails the pending call with ActorDiedError naming the exit code', async () => {
    const f = await failing().spawn(['ok']);
    const err = await rejection(f.call.exit(3));
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toMatch(/call to exit failed/);
    expect(err.message).toMatch(/exited with code 3/);
    expect((err as ActorDiedError).death).toEqual({ type: 'exited', exitCode: 3 });
    const info = await f.state();
    expect(info.state).toBe('DEAD');
    expect(info.death).toEqual({ type: 'exited', exitCode: 3 });
    // Later calls fail the same way, without hanging.
    const later = await rejection(f.call.pid());
    expect(later).toBeInstanceOf(ActorDiedError);
    expect(later.message).toMatch(/exited with code 3/);
  });

  it('fails the pending call with ActorDiedError naming the signal', async () => {
    const f = await failing().spawn(['ok']);
    const err = await rejection(f.call.suicide('SIGKILL'));
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toMatch(/killed by signal SIGKILL/);
    expect((err as ActorDiedError).death).toEqual({ type: 'signaled', signal: 'SIGKILL' });
    expect((await f.state()).state).toBe('DEAD');
  });
});
