/**
 * Actors that use the cluster: handles as values (three hops, inside put values and results, to a
 * dead actor, forged or from another cluster), the cluster from inside an actor (connect(),
 * currentCluster, getRuntimeContext), and actors an actor spawns, which die with it unless detached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorDiedError, connect, getRuntimeContext, type Cluster } from '../../src/index.js';
import { decode, encode } from '../../src/objects/index.js';
import type { Coordinator, Inspector, Leaf, Parent, Relay } from '../fixtures/nested-actors.js';
import { callRaw, eventually, rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const NESTED = new URL('../fixtures/nested-actors.ts', import.meta.url);
let embedded: EmbeddedCluster;
let cluster: Cluster;

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 4, warmPoolSize: 2 });
  cluster = embedded.driver;
});
afterAll(async () => {
  await embedded?.stop();
});

const relays = () => cluster.actorClass<typeof Relay>(NESTED, 'Relay');

describe('actor handles as values', () => {
  it('a handle passed through three hops is called at each', async () => {
    const c = await relays().spawn([null], { numCpus: 0 });
    const b = await relays().spawn([c], { numCpus: 0 });
    const a = await relays().spawn([b], { numCpus: 0 });
    expect(await a.call.hop([])).toEqual([a.id, b.id, c.id]);
    // And as a call argument: a calls c, a handle it was handed just now.
    expect(await a.call.ask(c)).toEqual([a.id, c.id]);
  });

  it('a handle inside a put value and inside a result arrives as a working handle to the same actor', async () => {
    const target = await relays().spawn([null], { numCpus: 0 });
    const other = await relays().spawn([null], { numCpus: 0 });
    // Inside a put value: the callee gets the value of the ref, handle included.
    const ref = await cluster.put({ inner: target });
    expect(await other.call.askInside(ref as never)).toEqual([other.id, target.id]);
    // Read back by the driver itself.
    const back = await cluster.get(ref);
    expect(back.inner.id).toBe(target.id);
    expect(await back.inner.call.id()).toBe(target.id);
    // Inside a result: the driver calls the handle an actor returned.
    const wrapped = await other.call.wrap(target);
    expect(wrapped.note).toBe('wrapped');
    expect(wrapped.inner.id).toBe(target.id);
    expect(await wrapped.inner.call.hop(['driver'])).toEqual(['driver', target.id]);
    // Through a ref to a result.
    const viaRef = await cluster.get(other.ref.wrap(target));
    expect(await viaRef.inner.call.id()).toBe(target.id);
  });

  it('a handle to a dead actor gives ActorDiedError on call, not a hang', async () => {
    const Leaves = cluster.actorClass<typeof Leaf>(NESTED, 'Leaf');
    const Inspectors = cluster.actorClass<typeof Inspector>(NESTED, 'Inspector');
    const leaf = await Leaves.spawn([], { numCpus: 0 });
    const inspector = await Inspectors.spawn([], { numCpus: 0 });
    expect(await inspector.call.callAndReport(leaf)).toEqual({ ok: true });
    await leaf.kill();
    const seen = await inspector.call.callAndReport(leaf);
    expect(seen.ok).toBe(false);
    expect(seen.code).toBe('ACTOR_DIED');
    expect(seen.message).toContain(leaf.id);
    // A handle the inspector never saw before, to an actor already dead: located, found dead.
    const dead = await Leaves.spawn([], { numCpus: 0 });
    await dead.kill();
    const late = await inspector.call.callAndReport(dead);
    expect(late).toMatchObject({ ok: false, code: 'ACTOR_DIED' });
    expect(late.message).toContain('killed');
  });

  it('a handle from another cluster is refused, saying so', async () => {
    const other = await connect({ numCpus: 1, warmPoolSize: 0 });
    try {
      const foreign = await other.actorClass<typeof Leaf>(NESTED, 'Leaf').spawn([], { numCpus: 0 });
      const inspector = await cluster.actorClass<typeof Inspector>(NESTED, 'Inspector').spawn([], { numCpus: 0 });
      const err = await rejection(inspector.call.callAndReport(foreign));
      expect(err.message).toMatch(/ActorHandle \(actor-[0-9a-f]+\) from another cluster/);
      expect((err as { code?: string }).code).toBe('SERIALIZATION');
    } finally {
      await other.shutdown();
    }
  });

  it('a forged handle sent raw is refused with a clear error; a well-formed one to no actor names the id', async () => {
    const inspector = await cluster.actorClass<typeof Inspector>(NESTED, 'Inspector').spawn([], { numCpus: 0 });
    const ext43 = (payload: unknown[]): Buffer => {
      const body = encode(payload);
      return Buffer.concat([Buffer.from([0x91, 0xd4, 43, 0]), body]); // [ext 43 marker, then its value]
    };
    const { address } = await inspector.state();
    const [malformed, wrongTypes] = await callRaw(address, cluster.token, inspector.id, [
      ['callAndReport', ext43(['not-an-actor', 'default', 'x', ''])],
      ['callAndReport', ext43([1, 2, 3])],
    ]);
    expect(malformed!.error?.code).toBe('SERIALIZATION');
    expect(malformed!.error?.message).toContain('malformed ActorHandle on the wire');
    expect(wrongTypes!.error?.message).toContain('malformed ActorHandle on the wire');
    const [unknown] = await callRaw(address, cluster.token, inspector.id, [
      ['callAndReport', ext43(['actor-00000000deadbeef', 'default', cluster.clusterId, ''])],
    ]);
    const answer = decode<{ ok: boolean; message: string }>(unknown!.value!);
    expect(answer.ok).toBe(false);
    expect(answer.message).toContain('actor-00000000deadbeef');
    // The actor still serves.
    expect(await inspector.call.context()).toBeTruthy();
  });
});

describe('the cluster from inside an actor', () => {
  it('connect() inside an actor reaches the same cluster and sees the driver’s actors', async () => {
    const named = await cluster
      .actorClass<typeof Leaf>(NESTED, 'Leaf')
      .spawn([], { numCpus: 0, name: 'seen-by-actor' });
    const inspector = await cluster.actorClass<typeof Inspector>(NESTED, 'Inspector').spawn([], { numCpus: 0 });
    const seen = await inspector.call.lookup('seen-by-actor');
    expect(seen.same).toBe(true);
    expect(seen.foundId).toBe(named.id);
    const driverView = (await cluster.status()).actors.filter((a) => a.state === 'ALIVE').length;
    expect(seen.liveActors).toBe(driverView);
  });

  it('getRuntimeContext gives the actor its id, node, namespace, restarts and resources, in methods and after awaits', async () => {
    const Inspectors = cluster.actorClass<typeof Inspector>(NESTED, 'Inspector');
    for (const isolation of ['process', 'shared'] as const) {
      const a = await Inspectors.spawn([], { numCpus: 0.5, isolation, maxRestarts: 1, namespace: 'ctx-ns' });
      const { now, atConstruction } = await a.call.context();
      expect(now).toMatchObject({
        isActor: true,
        actorId: a.id,
        className: 'Inspector',
        nodeId: a.nodeId,
        namespace: 'ctx-ns',
        numRestarts: 0,
        resources: { CPU: 0.5 },
        gpuIds: [],
      });
      expect(atConstruction).toEqual(now);
      expect(await a.call.contextLater()).toEqual(now);
      if (isolation === 'process') {
        await a.call.exit();
        await eventually(async () => (await a.state()).numRestarts === 1 && (await a.state()).state === 'ALIVE');
        expect((await a.call.context()).now.numRestarts).toBe(1);
      }
    }
    const driver = getRuntimeContext();
    expect(driver).toMatchObject({ isActor: false, actorId: undefined, nodeId: cluster.nodeId });
    expect(cluster.nodeId).toMatch(/^node-/);
  });

  it('an actor puts, gets, waits and frees its own objects, makes placement groups and forms collective groups', async () => {
    const coordinator = await cluster.actorClass<typeof Coordinator>(NESTED, 'Coordinator').spawn([], { numCpus: 0 });
    expect(await coordinator.call.objects()).toEqual({ got: [1, 2, 3, 2], ready: 2, freed: 'OBJECT_FREED' });
    expect(await coordinator.call.placement()).toEqual({ state: 'REMOVED', childInGroup: true });
    const members = new URL('../fixtures/collective-actors.ts', import.meta.url).href;
    expect(await coordinator.call.collective(members)).toEqual([3, 20]);
  });

  it('an actor spawns 100 children; they die when it is killed, a detached one survives', async () => {
    const parent = await cluster.actorClass<typeof Parent>(NESTED, 'Parent').spawn([], { numCpus: 0 });
    const ids = await parent.call.spawnChildren(100, 'orphan-survivor');
    expect(ids).toHaveLength(101);
    expect(await parent.call.pingAll()).toBe(101);
    const status = await cluster.status();
    const children = status.actors.filter((a) => ids.includes(a.actorId));
    expect(
      children.every((a) => a.ownerId === parent.id),
      'each child is owned by the actor that spawned it',
    ).toBe(true);
    // A child returned as a value works from the driver.
    const first = await parent.call.firstChild();
    expect((await first.call.ping()).actorId).toBe(ids[0]);
    await parent.kill();
    const gone = await eventually(async () => {
      const actors = (await cluster.status()).actors.filter((a) => ids.includes(a.actorId));
      return actors.filter((a) => a.state === 'DEAD').length === 100;
    }, 15_000);
    expect(gone, 'the 100 children died with their owner').toBe(true);
    const dead = (await cluster.status()).actors.find((a) => a.actorId === ids[0])!;
    expect(dead.death).toEqual({ type: 'owner-died', ownerId: parent.id });
    const survivor = await cluster.getActor<typeof Leaf>('orphan-survivor');
    expect((await survivor.call.ping()).actorId).toBe(survivor.id);
    const err = await rejection(first.call.ping());
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toContain(`the actor that owned it (${parent.id}) died`);
    await survivor.kill();
  });
});
