import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorDiedError, type Cluster } from '../../src/index.js';
import { ACTORS, eventually, rejection, sleep, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

type Phoenix = typeof import('../fixtures/actors.js').Phoenix;

let embedded: EmbeddedCluster;
let cluster: Cluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 2 });
  cluster = embedded.driver;
});
afterAll(async () => {
  await embedded?.stop();
});

const kill9 = (pid: number): void => {
  process.kill(pid, 'SIGKILL');
};

async function aliveAgain(
  handle: { state(): Promise<{ state: string; numRestarts: number }> },
  restarts: number,
): Promise<void> {
  expect(
    await eventually(async () => {
      const s = await handle.state();
      return s.state === 'ALIVE' && s.numRestarts === restarts;
    }, 20_000),
  ).toBe(true);
}

describe('actor restarts (maxRestarts) and call retries (maxTaskRetries)', () => {
  it('restarts a killed actor, re-running its constructor; a call in flight fails when retries are 0', async () => {
    const P = cluster.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['a'], { maxRestarts: 1 });
    expect(await a.call.inc(5)).toBe(5);
    const pid = await a.call.pid();
    const inFlight = a.call.slow(3000);
    await sleep(100);
    kill9(pid);
    const err = await rejection(inFlight);
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toMatch(/signal SIGKILL/);
    expect(err.message).toMatch(/not retried because maxTaskRetries is 0/);
    await aliveAgain(a, 1);
    expect(await a.call.pid()).not.toBe(pid);
    expect(await a.call.inc(1)).toBe(1); // fresh state: the constructor ran again
    await a.kill();
  });

  it('retries a call in flight after the restart when maxTaskRetries allows it', async () => {
    const P = cluster.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['b'], { maxRestarts: 2, maxTaskRetries: 1 });
    const pid = await a.call.pid();
    const inFlight = a.call.slow(2000);
    await sleep(100);
    kill9(pid);
    expect(await inFlight).toBe(1); // ran again on the new instance
    const s = await a.state();
    expect(s.numRestarts).toBe(1);
    await a.kill();
  });

  it('calls made after the death reach the restarted actor, in order', async () => {
    const P = cluster.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['c'], { maxRestarts: 1 });
    const pid = await a.call.pid();
    kill9(pid);
    await sleep(200); // the process is gone; the caller has not heard of it yet
    const results = await Promise.all(Array.from({ length: 50 }, () => a.call.inc(1)));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    await a.kill();
  });

  it('leaves the actor dead with the cause once restarts are exhausted', async () => {
    const P = cluster.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['d'], { maxRestarts: 1 });
    kill9(await a.call.pid());
    await aliveAgain(a, 1);
    const second = await a.call.pid();
    kill9(second);
    expect(await eventually(async () => (await a.state()).state === 'DEAD', 10_000)).toBe(true);
    const err = await rejection(a.call.inc(1));
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toMatch(/signal SIGKILL/);
    expect((err as ActorDiedError).death).toEqual({ type: 'signaled', signal: 'SIGKILL' });
  });

  it('restarts without limit with maxRestarts -1', async () => {
    const P = cluster.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['e'], { maxRestarts: -1, maxTaskRetries: -1 });
    for (let i = 1; i <= 3; i++) {
      kill9(await a.call.pid());
      await aliveAgain(a, i);
    }
    expect(await a.call.inc(2)).toBe(2);
    await a.kill();
  });

  it('never restarts an actor killed by the user', async () => {
    const P = cluster.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['f'], { maxRestarts: 5 });
    await a.kill();
    await sleep(300);
    const s = await a.state();
    expect(s.state).toBe('DEAD');
    expect(s.numRestarts).toBe(0);
    expect(s.death).toEqual({ type: 'killed', by: 'user' });
  });

  it('restarts shared actors whose host process died', async () => {
    const P = cluster.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const a = await P.spawn(['g'], { isolation: 'shared', maxRestarts: 1 });
    const b = await P.spawn(['h'], { isolation: 'shared', maxRestarts: 0 });
    expect(await a.call.pid()).toBe(await b.call.pid());
    kill9(await a.call.pid());
    await aliveAgain(a, 1);
    expect(await a.call.inc(3)).toBe(3);
    expect(await eventually(async () => (await b.state()).state === 'DEAD')).toBe(true);
    await a.kill();
  });
});

describe('actor lifetimes', () => {
  it('kills the actors of a driver that goes away, except detached ones', async () => {
    const other = await embedded.connect();
    const P = other.actorClass<Phoenix>(ACTORS, 'Phoenix');
    const owned = await P.spawn(['owned'], { maxRestarts: 3 });
    const _detached = await P.spawn(['detached'], { lifetime: 'detached', name: 'survivor' });
    const ownedId = owned.id;
    await other.shutdown();
    const view = await cluster.getActor<Phoenix>('survivor');
    expect(
      await eventually(async () => {
        const s = (await cluster.status()).actors.find((x) => x.actorId === ownedId);
        return s?.state === 'DEAD';
      }, 10_000),
    ).toBe(true);
    const dead = (await cluster.status()).actors.find((x) => x.actorId === ownedId)!;
    expect(dead.death).toMatchObject({ type: 'owner-died' });
    expect(await view.call.inc(1)).toBe(1);
    expect((await view.state()).state).toBe('ALIVE');
    await view.kill();
  });
});
