/**
 * Runtime ("system") requests are decoded and checked once where they arrive: malformed ones get
 * an error naming the request and the field, an unknown one is named, and an actor host that gets
 * one on its call stream fails that call only and goes on serving.
 */
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  MethodNotFoundError,
  SerializationError,
  TroupeError,
  errorFromInfo,
  type ErrorInfo,
} from '../../src/common/index.js';
import { connect, type Cluster } from '../../src/index.js';
import { decode, encode } from '../../src/objects/codec.js';
import { makeClient } from '../../src/transport/grpc.js';
import { troupeV1 } from '../../src/transport/protos.js';
import { decodeSystemRequest, systemCall, type SystemRequest } from '../../src/collective/system-requests.js';
import type { Counter } from '../fixtures/actors.js';
import { ACTORS } from '../fixtures/embedded.js';

const OPEN = '~troupe.collective.open';
const CONNECT = '~troupe.collective.connect';
const CLOSE = '~troupe.collective.close';

function decodeError(method: string, args: unknown): TroupeError {
  try {
    decodeSystemRequest(method, encode(args), 'a1');
  } catch (err) {
    expect(err).toBeInstanceOf(TroupeError);
    return err as TroupeError;
  }
  throw new Error(`${method} ${JSON.stringify(args)} was accepted`);
}

describe('decoding runtime requests', () => {
  it('reads the arrays the driver sends today into named fields, and writes them back the same', () => {
    // What Cluster.collectiveGroup sends: [name, rank, size, backend, token], [name, rendezvous, timeoutMs], [name].
    const wire: Array<[string, unknown[], SystemRequest]> = [
      [
        OPEN,
        ['g', 1, 2, 'tcp', 'tok'],
        { type: 'collective.open', name: 'g', rank: 1, size: 2, backend: 'tcp', token: 'tok' },
      ],
      [
        CONNECT,
        ['g', ['a:1', 'b:2'], 30_000],
        { type: 'collective.connect', name: 'g', rendezvous: ['a:1', 'b:2'], timeoutMs: 30_000 },
      ],
      [CLOSE, ['g'], { type: 'collective.close', name: 'g' }],
    ];
    for (const [method, args, req] of wire) {
      expect(decodeSystemRequest(method, encode(args), 'a1')).toEqual(req);
      expect(systemCall(req)).toEqual({ method, args });
    }
  });

  it('names the request and the field of a value of the wrong type or range', () => {
    const cases: Array<[string, unknown[], string, RegExp]> = [
      [OPEN, ['g', 'zero', 2, 'tcp', 'tok'], 'rank', /rank must be an integer in \[0, 2\), got "zero"/],
      [OPEN, ['g', 2, 2, 'tcp', 'tok'], 'rank', /rank must be an integer in \[0, 2\), got 2/],
      [OPEN, ['g', 0, 0, 'tcp', 'tok'], 'size', /size must be an integer >= 1, got 0/],
      [OPEN, ['g', 0, 1.5, 'tcp', 'tok'], 'size', /size must be an integer >= 1, got 1.5/],
      [OPEN, ['g', 0, 2, 7, 'tok'], 'backend', /backend must be a non-empty string, got 7/],
      [OPEN, ['g', 0, 2, 'tcp', null], 'token', /token must be a non-empty string, got null/],
      [OPEN, [42, 0, 2, 'tcp', 'tok'], 'name', /name must be a string of 1 to 200 characters, got 42/],
      [CLOSE, ['x'.repeat(201)], 'name', /name must be a string of 1 to 200 characters/],
      [CONNECT, ['g', 'a:1', 1000], 'rendezvous', /rendezvous must be a non-empty array of strings, got "a:1"/],
      [CONNECT, ['g', ['a:1', 5], 1000], 'rendezvous[1]', /rendezvous\[1\] must be a string, got 5/],
      [CONNECT, ['g', ['a:1'], 0], 'timeoutMs', /timeoutMs must be a number > 0, got 0/],
      [CONNECT, ['g', ['a:1'], '1000'], 'timeoutMs', /timeoutMs must be a number > 0, got "1000"/],
    ];
    for (const [method, args, field, message] of cases) {
      const err = decodeError(method, args);
      expect(err, `${method} ${field}`).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toContain(`malformed runtime request ${method}: `);
      expect(err.message).toMatch(message);
      expect(err.context).toMatchObject({ field, method, actorId: 'a1' });
    }
  });

  it('names the fields a request takes when some are missing or extra, or it is no array', () => {
    for (const args of [['g', 0, 2], ['g', 0, 2, 'tcp', 'tok', 'extra'], { name: 'g' }, undefined]) {
      const err = decodeError(OPEN, args);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err.message).toContain(
        `malformed runtime request ${OPEN}: args must be an array of 5 [name, rank, size, backend, token]`,
      );
      expect(err.context.field).toBe('args');
    }
    expect(decodeError(CLOSE, []).message).toMatch(/args must be an array of 1 \[name\], got an array of 0/);
  });

  it('names an unknown runtime request and the known ones', () => {
    const err = decodeError('~troupe.collective.frobnicate', ['g']);
    expect(err).toBeInstanceOf(MethodNotFoundError);
    expect(err.message).toContain('unknown runtime request ~troupe.collective.frobnicate');
    expect(err.message).toContain('collective.open, collective.connect, collective.close');
    expect(err.context).toMatchObject({ method: '~troupe.collective.frobnicate', actorId: 'a1' });
    // Names inherited from Object are no requests either.
    expect(decodeError('~troupe.constructor', [])).toBeInstanceOf(MethodNotFoundError);
  });

  it('refuses bytes that are not msgpack as a SerializationError naming the request', () => {
    let err: unknown;
    try {
      decodeSystemRequest(CLOSE, Buffer.from([0x92]) /* an array of 2, cut short */, 'a1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SerializationError);
    expect((err as Error).message).toContain(`the arguments of ${CLOSE}`);
  });
});

describe('a malformed runtime request on an actor host’s call stream', () => {
  let cluster: Cluster;

  beforeAll(async () => {
    cluster = await connect({ numCpus: 2, warmPoolSize: 1 });
  });

  afterAll(async () => {
    await cluster?.shutdown();
  });

  type Result = { seq: number; value?: Buffer; error?: ErrorInfo };

  it('fails that call only, with the field named; the stream and the actor go on serving', async () => {
    const c = await cluster.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([5], { isolation: 'shared' });
    const client = makeClient(troupeV1.ActorHostService, (await c.state()).address, cluster.token);
    const stream = (
      client as unknown as { Calls: () => grpc.ClientDuplexStream<unknown, { results: Result[] }> }
    ).Calls();
    const results = new Map<number, Result>();
    const waiters: Array<() => void> = [];
    stream.on('data', (batch: { results: Result[] }) => {
      for (const r of batch.results) results.set(Number(r.seq), r);
      for (const w of waiters.splice(0)) w();
    });
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    stream.on('error', () => undefined);
    const answer = async (seq: number): Promise<Result> => {
      const deadline = Date.now() + 10_000;
      while (!results.has(seq)) {
        if (Date.now() > deadline) throw new Error(`no answer to call ${seq} within 10 s`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 250);
        });
      }
      return results.get(seq)!;
    };
    const call = (seq: number, method: string, args: unknown) => ({ seq, actorId: c.id, method, args: encode(args) });
    try {
      stream.write({
        calls: [
          call(1, OPEN, ['g', 'zero', 2, 'tcp', 'tok']),
          call(2, 'inc', [1]),
          call(3, CONNECT, ['g']),
          call(4, '~troupe.collective.frobnicate', ['g']),
          { seq: 5, actorId: c.id, method: CLOSE, args: Buffer.from([0x92]) /* an array of 2, cut short */ },
          call(6, 'inc', [1]),
        ],
      });
      const rank = errorFromInfo((await answer(1)).error!);
      expect(rank).toBeInstanceOf(InvalidArgumentError);
      expect(rank.message).toContain(
        `malformed runtime request ${OPEN}: rank must be an integer in [0, 2), got "zero"`,
      );
      expect(rank.context.field).toBe('rank');
      expect(decode((await answer(2)).value!)).toBe(6);
      const args = errorFromInfo((await answer(3)).error!);
      expect(args).toBeInstanceOf(InvalidArgumentError);
      expect(args.message).toContain(
        `malformed runtime request ${CONNECT}: args must be an array of 3 [name, rendezvous, timeoutMs]`,
      );
      expect(errorFromInfo((await answer(4)).error!)).toBeInstanceOf(MethodNotFoundError);
      expect(errorFromInfo((await answer(5)).error!)).toBeInstanceOf(SerializationError);
      expect(decode((await answer(6)).value!)).toBe(7);

      // The same stream still takes calls, well-formed runtime requests included.
      stream.write({ calls: [call(7, CLOSE, ['never-opened']), call(8, 'inc', [1])] });
      expect((await answer(7)).error).toBeUndefined();
      expect(decode((await answer(8)).value!)).toBe(8);
      stream.end();
      expect((await status).code).toBe(0);
    } finally {
      client.close();
    }
    // And the actor, through the driver's own connection.
    expect(await c.call.inc(1)).toBe(9);
    await c.kill();
  });
});
