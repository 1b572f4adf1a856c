/**
 * Strict decoding (issue 13, item 9): a request that does not decode exactly — a length past the
 * end of its message, a nested field past the end of its parent, a cut-off varint, a packed field
 * that does not fill its length — is refused with INVALID_ARGUMENT by every server (the head's
 * services, the worker agent's, the actor host's), and nothing is done with it. The protobufjs
 * that proto-loader uses cut such strings short and went on.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter } from '../fixtures/actors.js';
import {
  ACTORS,
  bearer,
  decodeWire,
  encodeWire,
  errorInfoOf,
  rawClient,
  startEmbeddedCluster,
  streamRaw,
  unaryRaw,
  wireType,
  type EmbeddedCluster,
  type RawReply,
} from '../fixtures/index.js';
import { wireProblem } from '../../src/transport/wire-check.js';

let embedded: EmbeddedCluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 1 });
});
afterAll(async () => {
  await embedded?.stop();
});

// RegisterNode whose address says 0xFFFFFFFF bytes and has 3: it registered a node at "\x01\x02\x03".
const OVERLONG_ADDRESS = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02, 0x03]);
// The same with a length that fits 31 bits (protobufjs 8 refuses the one above, 7 took both).
const OVERLONG_31 = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x07, 0x01, 0x02, 0x03]);

/** CreateActorRequest whose spec (5 bytes) holds a module string saying 16: it runs into owner_id. */
function nestedOverlong(): Buffer {
  const owner = Buffer.from('owner-of-this');
  return Buffer.concat([
    Buffer.from([0x0a, 0x05, 0x0a, 0x10]),
    Buffer.from('abc'),
    Buffer.from([0x12, owner.length]),
    owner,
  ]);
}

function expectRefused(r: { err: grpc.ServiceError | null } | RawReply, what: RegExp): void {
  expect(r.err, 'the call should fail').not.toBeNull();
  expect(r.err!.code, `${r.err!.code} ${r.err!.details}`).toBe(grpc.status.INVALID_ARGUMENT);
  expect(r.err!.details).toMatch(/^malformed troupe\.v1\./);
  expect(r.err!.details).toMatch(what);
  expect(errorInfoOf(r.err).code).toBe('INVALID_ARGUMENT');
}

describe('the strict wire check', () => {
  it('passes what protobufjs encodes, and names what is wrong in what it does not', () => {
    const reg = wireType('RegisterNodeRequest');
    const ok = encodeWire('RegisterNodeRequest', {
      address: '127.0.0.1:1',
      resources: { amounts: { CPU: 2 } },
      labels: { a: 'b' },
      actorIds: ['x'],
      running: [{ actorId: 'x', address: 'y', pid: 3 }],
      incarnation: 7,
    });
    expect(wireProblem(ok, reg)).toBeUndefined();
    expect(wireProblem(OVERLONG_ADDRESS, reg)).toMatch(/address says 4294967295 bytes at byte 1, but 3 are left/);
    expect(wireProblem(OVERLONG_31, reg)).toMatch(/address says 2147483647 bytes/);
    expect(wireProblem(ok.subarray(0, ok.length - 1), reg)).toMatch(/RegisterNodeRequest\.running/);
    expect(wireProblem(Buffer.from([0x28, 0x80]), reg)).toMatch(/numGpuDevices has a varint cut off/);
    expect(wireProblem(Buffer.from([0x0d, 1, 2, 3, 4]), reg)).toMatch(/address has wire type 5, expected 2/);
    // A map entry whose value runs past the entry.
    expect(wireProblem(Buffer.from([0x22, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x05, 0x62]), reg)).toMatch(
      /labels\.value says 5 bytes/,
    );
    // A packed int32 field that ends inside a varint.
    const start = wireType('StartActorRequest');
    expect(wireProblem(encodeWire('StartActorRequest', { gpuIds: [1, 300, 2] }), start)).toBeUndefined();
    expect(wireProblem(Buffer.from([0x1a, 0x02, 0x01, 0x80]), start)).toMatch(/gpuIds has a varint cut off/);
    const create = wireType('CreateActorRequest');
    expect(wireProblem(nestedOverlong(), create)).toMatch(/CreateActorRequest\.spec\.module says 16 bytes/);
    // Unknown fields are allowed when they fit; a wire type that does not exist is not.
    expect(wireProblem(Buffer.from([0xf8, 0x01, 0x05]), create)).toBeUndefined();
    expect(wireProblem(Buffer.from([0x0f, 0x01]), create)).toMatch(/wire type 7/);
  });
});

describe('every gRPC server in src', () => {
  it('is built with serverOptions, whose interceptor refuses what did not decode exactly', () => {
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const servers = (readdirSync(src, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.ts') && !f.startsWith('generated'))
      .flatMap((f) =>
        readFileSync(path.join(src, f), 'utf8')
          .split('\n')
          .filter((line) => /new grpc\.Server\(/.test(line))
          .map((line) => ({ file: f, line: line.trim() })),
      );
    expect(servers.length).toBeGreaterThanOrEqual(3); // the head, the worker agent, the actor host
    expect(servers.filter((s) => !s.line.includes('serverOptions('))).toEqual([]);
  });
});

describe('every server refuses a request that does not decode exactly', () => {
  it('the head: an over-long RegisterNode registers no node', async () => {
    const client = rawClient(embedded.address, 'troupe.v1.NodeService', ['RegisterNode']);
    try {
      for (const body of [OVERLONG_ADDRESS, OVERLONG_31]) {
        expectRefused(await unaryRaw(client, 'RegisterNode', body, bearer(embedded.token)), /address says/);
      }
      // What the cut-short request decoded to, sent well-formed: the schema refuses it, naming the field.
      const schema = [
        [{ address: '\x01\x02\x03' }, 'address', /^address must be HOST:PORT with a port from 1 to 65535/],
        [{ address: '127.0.0.1:0' }, 'address', /^address must be HOST:PORT/],
        [{ address: '127.0.0.1:5', labels: { zone: 'a\nb' } }, 'labels.zone', /^labels\.zone must be at most 256/],
        [{ address: '127.0.0.1:5', numGpuDevices: 100_000 }, 'num_gpu_devices', /at most 1024, got 100000$/],
      ] as const;
      for (const [fields, field, message] of schema) {
        const r = await unaryRaw(
          client,
          'RegisterNode',
          encodeWire('RegisterNodeRequest', fields),
          bearer(embedded.token),
        );
        expect(r.err?.code, field).toBe(grpc.status.INVALID_ARGUMENT);
        expect(r.err?.details).toMatch(message);
        expect(errorInfoOf(r.err).context.field).toBe(field);
      }
    } finally {
      client.close();
    }
    const nodes = (await embedded.driver.status()).nodes;
    expect(nodes.map((n) => n.address)).not.toContain('\x01\x02\x03');
    expect(nodes).toHaveLength(1);
  });

  it('the head: a truncated SubmitJob creates no job', async () => {
    const client = rawClient(embedded.address, 'troupe.v1.JobService', ['SubmitJob', 'ListJobs']);
    try {
      const whole = encodeWire('SubmitJobRequest', {
        entrypoint: ['node', '-e', 'console.log("should never run")'],
        env: { A: 'b' },
      });
      for (const cut of [1, 5, 12]) {
        const r = await unaryRaw(client, 'SubmitJob', whole.subarray(0, whole.length - cut), bearer(embedded.token));
        expectRefused(r, /SubmitJobRequest\.(entrypoint|env)/);
      }
      const list = await unaryRaw(client, 'ListJobs', Buffer.alloc(0), bearer(embedded.token));
      expect(list.err).toBeNull();
      expect(decodeWire<{ jobs: unknown[] }>('ListJobsReply', list.reply!).jobs).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('the head: a nested field past the end of its message, on the unary and the streaming creation', async () => {
    const client = rawClient(embedded.address, 'troupe.v1.ActorService', ['CreateActor'], ['CreateActors']);
    try {
      expectRefused(
        await unaryRaw(client, 'CreateActor', nestedOverlong(), bearer(embedded.token)),
        /spec\.module says 16 bytes/,
      );
      // The same request inside a batch item: the batch is refused and its stream ends.
      const item = Buffer.concat([Buffer.from([0x08, 0x01, 0x12, nestedOverlong().length]), nestedOverlong()]);
      const batch = Buffer.concat([Buffer.from([0x0a, item.length]), item]);
      const { status } = await streamRaw(client, 'CreateActors', [batch], bearer(embedded.token));
      expect(status.code, status.details).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toMatch(/CreateActorBatch\.items\.request\.spec\.module says 16 bytes/);
    } finally {
      client.close();
    }
    expect((await embedded.driver.status()).actors).toHaveLength(0);
  });

  it('the worker agent: a StartActor with a cut-off packed field', async () => {
    const node = (await embedded.driver.status()).nodes[0]!;
    const client = rawClient(node.address, 'troupe.v1.WorkerService', ['StartActor']);
    try {
      const body = Buffer.concat([
        encodeWire('StartActorRequest', { actorId: 'raw-actor' }),
        Buffer.from([0x1a, 0x02, 0x01, 0x80]),
      ]);
      expectRefused(await unaryRaw(client, 'StartActor', body, bearer(embedded.token)), /gpuIds has a varint cut off/);
    } finally {
      client.close();
    }
  });

  it('an actor host: a call whose method runs past its Call ends that stream; the actor keeps serving', async () => {
    const c = await embedded.driver.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([5], { isolation: 'shared' });
    const client = rawClient((await c.state()).address, 'troupe.v1.ActorHostService', [], ['Calls']);
    try {
      // Call { seq: 1, actor_id: c, method: 'inc' saying 40 bytes } inside a CallBatch.
      const id = Buffer.from(c.id);
      const call = Buffer.concat([
        Buffer.from([0x08, 0x01, 0x12, id.length]),
        id,
        Buffer.from([0x1a, 40]),
        Buffer.from('inc'),
      ]);
      const batch = Buffer.concat([
        Buffer.from([0x0a, call.length]),
        call,
        Buffer.from([0x1a, 0x20]),
        Buffer.alloc(32),
      ]);
      const { status, messages } = await streamRaw(client, 'Calls', [batch], bearer(embedded.token));
      expect(status.code, status.details).toBe(grpc.status.INVALID_ARGUMENT);
      expect(status.details).toMatch(/malformed troupe\.v1\.CallBatch: CallBatch\.calls\.method says 40 bytes/);
      expect(messages).toEqual([]);
    } finally {
      client.close();
    }
    expect(await c.call.inc(1)).toBe(6);
    await c.kill();
  });
});
