/**
 * Objects made by actors, end to end on an embedded cluster: a ref an actor put (its value on the
 * actor's own host) travels inside results and put values, is read by two other actors and by the
 * driver, and goes from the maker's memory only once every holder let go; an owner killed while
 * its refs are in use makes their reads fail with OwnerDiedError naming it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ObjectRef, OwnerDiedError, type ActorHandle, type Cluster } from '../../src/index.js';
import type { Holder, Maker } from '../fixtures/object-actors.js';
import { eventually, rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const ACTORS = new URL('../fixtures/object-actors.ts', import.meta.url);
const N = 1 << 22; // 32 MiB of float64
const MiB = 1 << 20;

let embedded: EmbeddedCluster;
let cluster: Cluster;
let holders: ActorHandle<typeof Holder>[];

const makers = () => cluster.actorClass<typeof Maker>(ACTORS, 'Maker');
const expectedSum = (n: number, seed: number): number => {
  let s = 0;
  for (let i = 0; i < n; i++) s += (i % 1000) * seed;
  return s;
};

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 4, warmPoolSize: 3 });
  cluster = embedded.driver;
  const H = cluster.actorClass<typeof Holder>(ACTORS, 'Holder');
  holders = await Promise.all([H.spawn([], { numCpus: 0 }), H.spawn([], { numCpus: 0 })]);
}, 60_000);
afterAll(async () => {
  await embedded?.stop();
});

describe('refs made by actors', () => {
  it('a ref put in one actor and returned inside a result is read by two others, and freed once every holder let go', async () => {
    const maker = await makers().spawn([], { numCpus: 0 });
    const before = await maker.call.arrayBytes();
    const box = await maker.call.make(N, 3);
    expect(box.ref).toBeInstanceOf(ObjectRef);
    const sum = expectedSum(N, 3);
    expect(box.sum).toBe(sum);
    // The maker's own ref is gone (collected): the driver's borrow keeps the value there.
    expect(await maker.call.arrayBytes()).toBeGreaterThan(before + 30 * MiB);
    // The driver puts the ref inside a value of its own and hands that to both holders.
    const shared = await cluster.put({ ref: box.ref });
    const [a, b] = holders as [ActorHandle<typeof Holder>, ActorHandle<typeof Holder>];
    expect(await a.call.keep(shared as never)).toBe(sum);
    expect(await b.call.keep(shared as never)).toBe(sum);
    // Everyone but holder b lets go: the value stays at the maker, and b still reads it.
    cluster.free([box.ref, shared]);
    expect(await a.call.drop()).toBe(1);
    expect(await b.call.readHeld()).toEqual([sum]);
    expect(await maker.call.arrayBytes()).toBeGreaterThan(before + 30 * MiB);
    // The last holder lets go: the maker's memory falls.
    expect(await b.call.drop()).toBe(1);
    expect(await eventually(async () => (await maker.call.arrayBytes()) < before + 8 * MiB, 20_000, 200)).toBe(true);
    await maker.kill();
  }, 120_000);

  it('a ref inside an actor’s put value, inside a result, through a ref to a result and given back by a holder', async () => {
    const maker = await makers().spawn([], { numCpus: 0 });
    const { outer } = await maker.call.nest(1000, 2);
    const value = await cluster.get(outer);
    expect(value.inner).toBeInstanceOf(ObjectRef);
    expect((await cluster.get(value.inner)).length).toBe(1000);
    // The outer ref as an argument is resolved; the ref inside its value stays a ref the callee reads.
    const [a] = holders as [ActorHandle<typeof Holder>];
    expect(await a.call.readNested(outer as never)).toBe(expectedSum(1000, 2));
    // A ref to a result (kept with storeAs) whose value holds a ref.
    const kept = maker.ref.make(100_000, 5);
    const inside = await cluster.get(kept);
    expect((await cluster.get(inside.ref)).length).toBe(100_000);
    // The holder returns the refs it holds inside a result; the driver reads them.
    const { refs } = await a.call.giveBack();
    expect(refs).toHaveLength(1);
    expect((await cluster.get(refs[0]!)).length).toBe(1000);
    await a.call.drop();
    await maker.kill();
  });

  it('an owner killed while its refs are held: reads fail with OwnerDiedError naming it', async () => {
    // Its own process: the holder (the owner's process) is gone.
    const maker = await makers().spawn([], { numCpus: 0 });
    // Shared: the process lives on, the killed actor's objects went with it.
    const sharedMaker = await makers().spawn([], { numCpus: 0, isolation: 'shared' });
    const [a] = holders as [ActorHandle<typeof Holder>];
    for (const m of [maker, sharedMaker]) {
      const box = await m.call.make(1 << 15, 1);
      expect(await a.call.keep((await cluster.put({ ref: box.ref })) as never)).toBe(expectedSum(1 << 15, 1));
      await m.kill();
      const err = await rejection(cluster.get(box.ref, { timeoutMs: 20_000 }));
      expect(err).toBeInstanceOf(OwnerDiedError);
      expect((err as OwnerDiedError).owner).toBe(m.id);
      expect(err.message).toContain(m.id);
      const [inActor] = await a.call.readHeld();
      expect(inActor).toMatchObject({ name: 'OwnerDiedError', code: 'OWNER_DIED', owner: m.id });
      expect((inActor as { message: string }).message).toContain(m.id);
      await a.call.drop();
    }
  }, 60_000);
});
