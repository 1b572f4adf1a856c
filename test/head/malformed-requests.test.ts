/**
 * Requests that are malformed or too large get a clear error, and the head and actor processes
 * go on serving. Raw requests are sent with @grpc/grpc-js generic clients, as a foreign or
 * broken client would send them.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageTooLargeError, type Cluster } from '../../src/index.js';
import type { Counter, Echo } from '../fixtures/actors.js';
import {
  ACTORS,
  bearer,
  rawClient,
  rejection,
  sleep,
  startEmbeddedCluster,
  streamRaw,
  unaryRaw,
  wireType,
  type EmbeddedCluster,
} from '../fixtures/index.js';

const LIMIT = 1 << 20;
let embedded: EmbeddedCluster;
let cluster: Cluster;

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 1, maxMessageBytes: LIMIT });
  cluster = embedded.driver;
});

afterAll(async () => {
  await embedded?.stop();
});

const HEAD = ['troupe.v1.ActorService', ['GetClusterStatus', 'CreateActor'], ['CreateActors']] as const;
const rawHead = (address: string) => rawClient(address, HEAD[0], [...HEAD[1]], [...HEAD[2]]);
const rawActor = (address: string) => rawClient(address, 'troupe.v1.ActorHostService', [], ['Calls']);
/** The final status of a raw stream that wrote `frames`. */
const finalStatus = async (...args: Parameters<typeof streamRaw>): Promise<grpc.StatusObject> =>
  (await streamRaw(...args)).status;
const CreateActorRequest = wireType('CreateActorRequest');
const GetClusterStatusReply = wireType('GetClusterStatusReply');
const ErrorInfo = wireType('ErrorInfo');

// Field 1 with wire type 7, which does not exist: no protobuf decoder accepts it.
const GARBAGE = Buffer.from([0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02]);

async function headStillServes(): Promise<void> {
  const status = await cluster.status();
  expect(status.nodes).toHaveLength(1);
  expect(status.nodes[0]?.state).toBe('ALIVE');
}

describe('malformed requests to the head', () => {
  it('garbage bytes get INTERNAL or INVALID_ARGUMENT, and the head keeps serving', async () => {
    const client = rawHead(cluster.address);
    try {
      for (const method of ['GetClusterStatus', 'CreateActor']) {
        const { err } = await unaryRaw(client, method, GARBAGE, bearer(cluster.token));
        expect(err, method).not.toBeNull();
        expect(
          [grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT],
          `${method}: ${err?.code} ${err?.details}`,
        ).toContain(err!.code);
        expect(err!.details).toMatch(/deserializ|invalid|malformed/i);
      }
      // Garbage on the streaming creation method ends that stream only.
      const streamStatus = await finalStatus(client, 'CreateActors', [GARBAGE], bearer(cluster.token));
      expect([grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT]).toContain(streamStatus.code);

      // A well-formed raw request still works on the same connection.
      const { err, reply } = await unaryRaw(client, 'GetClusterStatus', Buffer.alloc(0), bearer(cluster.token));
      expect(err).toBeNull();
      const decoded = GetClusterStatusReply.toObject(GetClusterStatusReply.decode(reply!)) as { headAddress: string };
      expect(decoded.headAddress).toBe(cluster.address);
    } finally {
      client.close();
    }
    await headStillServes();
  });

  it('a well-formed request without a token, or with a wrong one, is refused as UNAUTHENTICATED', async () => {
    const client = rawHead(cluster.address);
    try {
      const none = await unaryRaw(client, 'GetClusterStatus', Buffer.alloc(0), new grpc.Metadata());
      expect(none.err?.code).toBe(grpc.status.UNAUTHENTICATED);
      const wrong = await unaryRaw(client, 'GetClusterStatus', Buffer.alloc(0), bearer(`${cluster.token}x`));
      expect(wrong.err?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(wrong.reply).toBeUndefined();
      // The token is checked before the body is decoded: garbage without it is refused the same way.
      const garbage = await unaryRaw(client, 'CreateActor', GARBAGE, new grpc.Metadata());
      expect(garbage.err?.code).toBe(grpc.status.UNAUTHENTICATED);
      const garbageStream = await finalStatus(client, 'CreateActors', [GARBAGE], bearer('nope'));
      expect(garbageStream.code).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      client.close();
    }
    await headStillServes();
  });

  it('a spec without a module gets INVALID_ARGUMENT naming the field', async () => {
    const client = rawHead(cluster.address);
    try {
      const create = (spec: object | null) =>
        unaryRaw(
          client,
          'CreateActor',
          Buffer.from(CreateActorRequest.encode(CreateActorRequest.fromObject({ spec, ownerId: 'raw' })).finish()),
          bearer(cluster.token),
        );

      const noModule = await create({ exportName: 'Counter', maxConcurrency: 1 });
      expect(noModule.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(noModule.err?.details).toMatch(/spec\.module is required/);
      // The typed error travels in the trailers too.
      const raw = noModule.err?.metadata.get('troupe-error-bin')[0];
      expect(Buffer.isBuffer(raw)).toBe(true);
      const info = ErrorInfo.toObject(ErrorInfo.decode(raw as Buffer)) as {
        code: string;
        context: Record<string, string>;
      };
      expect(info.code).toBe('INVALID_ARGUMENT');
      expect(info.context.field).toBe('spec.module');

      const noSpec = await create(null);
      expect(noSpec.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(noSpec.err?.details).toMatch(/spec is required/);

      const badResource = await create({
        module: ACTORS.href,
        exportName: 'Counter',
        resources: { amounts: { CPU: -1 } },
      });
      expect(badResource.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(badResource.err?.details).toMatch(/resources\.CPU must be a finite number >= 0, got -1/);

      const badIsolation = await create({ module: ACTORS.href, exportName: 'Counter', isolation: 'thread' });
      expect(badIsolation.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
      expect(badIsolation.err?.details).toMatch(/isolation must be 'process' or 'shared', got 'thread'/);
    } finally {
      client.close();
    }
    expect((await cluster.status()).actors).toHaveLength(0);
  });

  it('a request above the head’s message limit gets RESOURCE_EXHAUSTED, and the head keeps serving', async () => {
    const client = rawHead(cluster.address);
    try {
      const { err } = await unaryRaw(client, 'GetClusterStatus', Buffer.alloc(2 * LIMIT), bearer(cluster.token));
      expect(err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
    await headStillServes();
  });
});

describe('message limits on actor calls', () => {
  const echo = () => cluster.actorClass<typeof Echo>(ACTORS, 'Echo');

  it('an argument above the limit fails that call with MessageTooLargeError; calls batched with it succeed', async () => {
    const e = await echo().spawn([]);
    const big = 'y'.repeat(2 * LIMIT);
    const err = await rejection(e.call.length(big));
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect(err.message).toMatch(/the arguments of length is about \d+ bytes, above the message limit of 1048576 bytes/);

    // Sent in the same tick, so in the same batch: only the big one fails.
    const [before, tooBig, after] = await Promise.allSettled([
      e.call.length('a'),
      e.call.length(big),
      e.call.length('bb'),
    ]);
    expect(before).toEqual({ status: 'fulfilled', value: 1 });
    expect(tooBig.status).toBe('rejected');
    expect((tooBig as PromiseRejectedResult).reason).toBeInstanceOf(MessageTooLargeError);
    expect(after).toEqual({ status: 'fulfilled', value: 2 });

    // Many calls that fit one by one but not together: split into several messages.
    const lengths = await Promise.all(Array.from({ length: 60 }, () => e.call.length('q'.repeat(40_000))));
    expect(lengths).toEqual(Array(60).fill(40_000));
    expect(await e.call.length('still here')).toBe(10);
    expect((await e.state()).state).toBe('ALIVE');
    await e.kill();
  });

  it('a result above the limit fails that call with MessageTooLargeError; the actor keeps serving', async () => {
    const e = await echo().spawn([], { isolation: 'shared' });
    const [small, tooBig, after] = await Promise.allSettled([
      e.call.make(3),
      e.call.make(2 * LIMIT),
      e.call.length('abc'),
    ]);
    expect(small).toEqual({ status: 'fulfilled', value: 'xxx' });
    expect(tooBig.status).toBe('rejected');
    const err = (tooBig as PromiseRejectedResult).reason as Error;
    expect(err).toBeInstanceOf(MessageTooLargeError);
    expect(err.message).toMatch(/the result of make is about \d+ bytes, above the message limit/);
    expect(after).toEqual({ status: 'fulfilled', value: 3 });
    const results = await Promise.all(Array.from({ length: 60 }, () => e.call.make(40_000)));
    expect(results.every((r) => r.length === 40_000)).toBe(true);
    await e.kill();
  });

  it('an oversize spawn fails with MessageTooLargeError and does not disturb other creations in flight', async () => {
    const counters = cluster.actorClass<typeof Counter>(ACTORS, 'Counter');
    const holder = await counters.spawn([0], { numCpus: 2, isolation: 'shared' });
    let queuedDone = false;
    const queued = counters.spawn([7], { numCpus: 1, isolation: 'shared' }).finally(() => (queuedDone = true));
    await sleep(100);
    const big = await rejection(counters.spawn(['z'.repeat(2 * LIMIT)] as unknown as [number]));
    expect(big).toBeInstanceOf(MessageTooLargeError);
    expect(big.message).toMatch(/the spawn request for Counter/);
    // Many spawns that fit one by one but not together.
    const many = await Promise.all(
      Array.from({ length: 40 }, () => counters.spawn([1], { isolation: 'shared', env: { PAD: 'p'.repeat(40_000) } })),
    );
    expect(many).toHaveLength(40);
    expect(queuedDone).toBe(false);
    await holder.kill();
    const q = await queued;
    expect(await q.call.get()).toBe(7);
    await Promise.all([q.kill(), ...many.map((h) => h.kill())]);
  });

  it('garbage on an actor’s call stream ends that stream only; the actor keeps serving', async () => {
    const c = await cluster.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([5], { isolation: 'shared' });
    const client = rawActor((await c.state()).address);
    try {
      const status = await finalStatus(client, 'Calls', [GARBAGE], bearer(cluster.token));
      expect([grpc.status.INTERNAL, grpc.status.INVALID_ARGUMENT]).toContain(status.code);
      const oversize = await finalStatus(client, 'Calls', [Buffer.alloc(2 * LIMIT)], bearer(cluster.token));
      expect(oversize.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    } finally {
      client.close();
    }
    expect(await c.call.inc(1)).toBe(6);
    await c.kill();
  });
});
