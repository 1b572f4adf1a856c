/**
 * Named actors seen from several drivers, namespaces, and the cluster token: a wrong one is
 * refused by the head and by actor processes, and the head keeps serving the right one.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorNotFoundError, NameTakenError, UnauthenticatedError, type Cluster } from '../../src/index.js';
import type { Counter } from '../fixtures/actors.js';
import { ACTORS, rejection, startEmbeddedCluster, timed, type EmbeddedCluster } from '../fixtures/index.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;
let second: Cluster;

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 2 });
  cluster = embedded.driver;
  second = await embedded.connect();
});

afterAll(async () => {
  await embedded?.stop();
});

describe('named actors', () => {
  it('another driver finds a named actor and shares its state; names are unique per namespace', async () => {
    const counters = cluster.actorClass<typeof Counter>(ACTORS, 'Counter');
    const c1 = await counters.spawn([10], { name: 'c1', namespace: 'demo' });
    expect(c1.name).toBe('c1');
    expect(c1.namespace).toBe('demo');
    expect(await c1.call.inc(5)).toBe(15);

    const found = await second.getActor<typeof Counter>('c1', { namespace: 'demo' });
    expect(found.id).toBe(c1.id);
    expect(found.pid).toBe(c1.pid);
    expect(await found.call.get()).toBe(15);
    expect(await found.call.inc(1)).toBe(16);
    expect(await c1.call.get()).toBe(16);

    // The same name in the same namespace, from either driver, is taken.
    const taken = await rejection(
      second.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([0], { name: 'c1', namespace: 'demo' }),
    );
    expect(taken).toBeInstanceOf(NameTakenError);
    expect(taken.message).toContain("'c1'");
    expect(taken.message).toContain("'demo'");
    expect(taken.message).toContain(c1.id);

    const unknown = await rejection(second.getActor('no-such-actor', { namespace: 'demo' }));
    expect(unknown).toBeInstanceOf(ActorNotFoundError);
    expect(unknown.message).toMatch(/no live actor named 'no-such-actor' in namespace 'demo'/);

    // Namespaces are separate: 'c1' is not visible elsewhere, and may be used again there.
    const elsewhere = await rejection(second.getActor('c1', { namespace: 'other' }));
    expect(elsewhere).toBeInstanceOf(ActorNotFoundError);
    const inDefault = await rejection(second.getActor('c1'));
    expect(inDefault).toBeInstanceOf(ActorNotFoundError);
    const other = await counters.spawn([100], { name: 'c1', namespace: 'other' });
    expect(other.id).not.toBe(c1.id);
    expect(await (await second.getActor<typeof Counter>('c1', { namespace: 'other' })).call.get()).toBe(100);
    expect(await (await second.getActor<typeof Counter>('c1', { namespace: 'demo' })).call.get()).toBe(16);

    // A driver connected with a namespace looks names up there by default.
    const demoDriver = await embedded.connect({ namespace: 'demo' });
    try {
      expect((await demoDriver.getActor('c1')).id).toBe(c1.id);
    } finally {
      await demoDriver.shutdown();
    }

    // Once killed, the name is free and no longer found.
    await c1.kill();
    expect(await rejection(second.getActor('c1', { namespace: 'demo' }))).toBeInstanceOf(ActorNotFoundError);
    await other.kill();
  });
});

describe('cluster token', () => {
  it('a wrong token is refused with UnauthenticatedError, and the right one still works afterwards', async () => {
    const wrong = await timed(() => rejection(embedded.connect({ token: 'wrong' })));
    expect(wrong.value).toBeInstanceOf(UnauthenticatedError);
    expect(wrong.value.message).toMatch(/refused the cluster token/);

    const right = await embedded.connect();
    try {
      const status = await right.status();
      expect(status.nodes).toHaveLength(1);
      expect(status.nodes[0]?.state).toBe('ALIVE');
    } finally {
      await right.shutdown();
    }
    expect((await cluster.status()).headAddress).toBe(cluster.address);
  });

  it('an actor process refuses calls that carry a wrong token', async () => {
    const c = await cluster.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([1], { isolation: 'shared' });
    const { address } = await c.state();
    const identity = (b: Buffer): Buffer => b;
    const Client = grpc.makeGenericClientConstructor(
      {
        Calls: {
          path: '/troupe.v1.ActorHostService/Calls',
          requestStream: true,
          responseStream: true,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      'ActorHostService',
    );
    const client = new Client(address, grpc.credentials.createInsecure());
    try {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', 'Bearer wrong');
      const stream = (client.Calls as (m: grpc.Metadata) => grpc.ClientDuplexStream<Buffer, Buffer>)(metadata);
      const status = await new Promise<grpc.StatusObject>((resolve) => {
        stream.on('data', () => undefined);
        stream.on('error', () => undefined);
        stream.on('status', resolve);
        stream.write(Buffer.alloc(0));
      });
      expect(status.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(status.details).toMatch(/wrong cluster token/);
    } finally {
      client.close();
    }
    expect(await c.call.inc(1)).toBe(2);
    await c.kill();
  });
});
