/**
 * What a caller may run in an actor: the methods of its class and its ancestors below
 * Object.prototype, and nothing every object inherits; arguments that are not an array are
 * refused with SERIALIZATION instead of running the method with none. Sent both through the
 * handle and as raw calls on the actor host's stream, past the client.
 */
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cluster, MethodNotFoundError, SerializationError, errorFromInfo } from '../../src/index.js';
import { encode } from '../../src/objects/codec.js';
import { makeClient } from '../../src/transport/grpc.js';
import { troupeV1 } from '../../src/transport/protos.js';
import type { Counter } from '../fixtures/actors.js';
import { ACTORS, rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const INHERITED = [
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
];

let embedded: EmbeddedCluster;
let cluster: Cluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 1 });
  cluster = embedded.driver;
});
afterAll(async () => {
  await embedded?.stop();
});

describe('remote methods', () => {
  it("are the class's own: every method Object.prototype gives is refused, the class's still answer", async () => {
    const c = await cluster.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([1], { isolation: 'shared' });
    const call = c.call as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    for (const name of INHERITED) {
      const err = await rejection(call[name]!('x', () => 1));
      expect(err, name).toBeInstanceOf(MethodNotFoundError);
      expect(err.message).toContain(`has no method '${name}'`);
    }
    expect(await c.call.inc(2)).toBe(3);
    await c.kill();
  });

  it('refuse arguments that are not an array, sent raw past the client', async () => {
    const c = await cluster.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([5], { isolation: 'shared' });
    type Result = { seq: number; value?: Buffer; error?: Parameters<typeof errorFromInfo>[0] };
    const client = makeClient(troupeV1.ActorHostService, (await c.state()).address, cluster.token);
    const stream = client.Calls() as unknown as grpc.ClientDuplexStream<unknown, { results: Result[] }>;
    const results = new Map<number, Result>();
    const done = new Promise<void>((resolve) =>
      stream.on('data', (batch: { results: Result[] }) => {
        for (const r of batch.results) results.set(Number(r.seq), r);
        if (results.size === 4) resolve();
      }),
    );
    stream.on('error', () => undefined);
    try {
      stream.write({
        calls: [
          { seq: 1, actorId: c.id, method: 'inc', args: encode(new Map([['n', 5]])) },
          { seq: 2, actorId: c.id, method: 'inc', args: Buffer.from([0x07]) },
          { seq: 3, actorId: c.id, method: 'inc', args: encode({ 0: 5 }) },
          { seq: 4, actorId: c.id, method: 'inc', args: encode([1]) },
        ],
      });
      await done;
      for (const seq of [1, 2, 3]) {
        const err = errorFromInfo(results.get(seq)!.error!);
        expect(err, `call ${seq}`).toBeInstanceOf(SerializationError);
        expect(err.message).toContain('the arguments of inc must be an array of values');
      }
      expect(results.get(4)!.error).toBeFalsy();
      stream.end();
    } finally {
      client.close();
    }
    // None of the refused calls ran: the counter moved only by the good one.
    expect(await c.call.get()).toBe(6);
    await c.kill();
  });
});
