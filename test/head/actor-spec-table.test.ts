/**
 * One actor-spec table on both sides: for every spawn option, a bad value is refused by the
 * friendly client (spawn), by the head's check of specs (validateSpec, which every spec from the
 * wire goes through) and by the head when sent as a raw gRPC CreateActor request past the client,
 * each time with a message naming the field. Where the wire cannot carry the bad value (int32
 * fields, map<string, string>, unknown protobuf fields), the row says why and the raw column is
 * left out for it: the head's check still refuses the value when it is handed one.
 */
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toWireActorSpec, type ActorOptions, type WireActorSpec } from '../../src/options/index.js';
import { InvalidArgumentError } from '../../src/common/index.js';
import { validateSpec } from '../../src/head/spec.js';
import { connect, type Cluster } from '../../src/index.js';
import type { Counter } from '../fixtures/actors.js';
import { ACTORS, rejection } from '../fixtures/embedded.js';

/** Where CreateActor lives today; the one line to change when the head's services are renamed. */
const CREATE_ACTOR = {
  service: 'troupe.v1.ActorService',
  proto: 'troupe/v1/actor.proto',
  request: 'troupe.v1.CreateActorRequest',
};

interface Row {
  /** What the row is about (the option, and the bad value). */
  what: string;
  /** Spawn options the client must refuse. */
  client: Record<string, unknown>;
  /** The client's message and field. */
  says: RegExp;
  field: string;
  /** The same mistake as spec fields for the head; defaults to `client` when the names are the same. */
  spec?: Record<string, unknown>;
  /** The head's message and field, when they differ from the client's (resources are named as they travel). */
  headSays?: RegExp;
  headField?: string;
  /** Why the wire cannot carry this value, when it cannot: no raw request for the row then. */
  notOnTheWire?: string;
}

const ROWS: Row[] = [
  {
    what: 'numCpus -1',
    client: { numCpus: -1 },
    says: /^numCpus must be a finite number >= 0, got -1$/,
    field: 'numCpus',
    spec: { resources: { amounts: { CPU: -1 } } },
    headSays: /resources\.CPU must be a finite number >= 0, got -1/,
    headField: 'resources.CPU',
  },
  {
    what: 'numGpus 1.5',
    client: { numGpus: 1.5 },
    says: /^numGpus must be a number >= 0, whole when above 1/,
    field: 'numGpus',
    spec: { resources: { amounts: { GPU: 1.5 } } },
    headSays: /resources\.GPU must be a whole number when above 1, got 1\.5/,
    headField: 'resources.GPU',
  },
  {
    what: 'memory -5',
    client: { memory: -5 },
    says: /^memory must be a number of bytes >= 0, got -5$/,
    field: 'memory',
    spec: { resources: { amounts: { memory: -5 } } },
    headSays: /resources\.memory must be a finite number >= 0, got -5/,
    headField: 'resources.memory',
  },
  {
    what: 'resources { ssd: -1 }',
    client: { resources: { ssd: -1 } },
    says: /^resources must be an object of resource names to numbers >= 0/,
    field: 'resources',
    spec: { resources: { amounts: { ssd: -1 } } },
    headSays: /resources\.ssd must be a finite number >= 0, got -1/,
    headField: 'resources.ssd',
  },
  {
    what: 'maxConcurrency 0',
    client: { maxConcurrency: 0 },
    says: /^maxConcurrency must be an integer from 1 to 100000, got 0$/,
    field: 'maxConcurrency',
  },
  {
    what: 'maxConcurrency 2.5',
    client: { maxConcurrency: 2.5 },
    says: /^maxConcurrency must be an integer from 1 to 100000, got 2\.5$/,
    field: 'maxConcurrency',
    notOnTheWire: 'int32 field: the encoder truncates 2.5 to 2',
  },
  {
    what: 'name with a space',
    client: { name: 'two words' },
    says: /^name must be a string of 1-200 letters, digits and _ \. - : \/ @, got 'two words'$/,
    field: 'name',
  },
  {
    what: 'a bad namespace',
    client: { namespace: 'bad namespace!' },
    says: /^namespace must be a string of 1-200 letters, digits and _ \. - : \/ @, got 'bad namespace!'$/,
    field: 'namespace',
  },
  {
    what: "isolation 'thread'",
    client: { isolation: 'thread' },
    says: /^isolation must be 'process' or 'shared', got 'thread'$/,
    field: 'isolation',
  },
  {
    what: "schedulingStrategy 'PACKED'",
    client: { schedulingStrategy: 'PACKED' },
    says: /^schedulingStrategy must be 'DEFAULT' or 'SPREAD', got 'PACKED'$/,
    field: 'schedulingStrategy',
  },
  {
    what: 'nodeAffinity without a node',
    client: { nodeAffinity: { nodeId: '' } },
    says: /^nodeAffinity must be \{ nodeId: string, soft\?: boolean \}/,
    field: 'nodeAffinity',
  },
  {
    what: "lifetime 'forever'",
    client: { lifetime: 'forever' },
    says: /^lifetime must be 'detached', got 'forever'$/,
    field: 'lifetime',
  },
  {
    what: 'maxRestarts 1.5',
    client: { maxRestarts: 1.5 },
    says: /^maxRestarts must be an integer >= -1, got 1\.5$/,
    field: 'maxRestarts',
    notOnTheWire: 'int32 field: the encoder truncates 1.5 to 1',
  },
  {
    what: 'maxRestarts -2',
    client: { maxRestarts: -2 },
    says: /^maxRestarts must be an integer >= -1, got -2$/,
    field: 'maxRestarts',
  },
  {
    what: 'maxTaskRetries -2',
    client: { maxTaskRetries: -2 },
    says: /^maxTaskRetries must be an integer >= -1, got -2$/,
    field: 'maxTaskRetries',
  },
  {
    what: 'maxTaskRetries 0.5',
    client: { maxTaskRetries: 0.5 },
    says: /^maxTaskRetries must be an integer >= -1, got 0\.5$/,
    field: 'maxTaskRetries',
    notOnTheWire: 'int32 field: the encoder truncates 0.5 to 0',
  },
  {
    what: 'env with a non-string value',
    client: { env: { A: 1 } },
    says: /^env must be an object of string values, got \{"A":1\}$/,
    field: 'env',
    notOnTheWire: 'map<string, string>: the encoder turns 1 into "1"',
  },
  {
    what: 'env with an empty name',
    client: { env: { '': 'x' } },
    says: /^env must be an object of string values, got \{"":"x"\}$/,
    field: 'env',
  },
  {
    what: 'placementGroup 42',
    client: { placementGroup: 42 },
    says: /^placementGroup must be a placement group \(from cluster\.placementGroup\) or its id, got 42$/,
    field: 'placementGroup',
    spec: { placementGroupId: 42 },
    notOnTheWire: 'string field: the encoder turns 42 into "42", a group id like any other',
  },
  {
    what: 'bundleIndex -2',
    client: { placementGroup: 'pg-x', bundleIndex: -2 },
    says: /^bundleIndex must be an integer >= -1 \(-1: any bundle\), got -2$/,
    field: 'bundleIndex',
    spec: { placementGroupId: 'pg-x', bundleIndex: -2 },
  },
  {
    what: 'bundleIndex without a group',
    client: { bundleIndex: 2 },
    says: /^bundleIndex needs placementGroup$/,
    field: 'bundleIndex',
  },
  {
    what: 'placementGroup with nodeAffinity',
    client: { placementGroup: 'pg-x', nodeAffinity: { nodeId: 'n1' } },
    says: /^placementGroup cannot be combined with nodeAffinity/,
    field: 'placementGroup',
    spec: { placementGroupId: 'pg-x', nodeAffinity: { nodeId: 'n1', soft: false } },
  },
  {
    what: 'a shared GPU actor',
    client: { isolation: 'shared', numGpus: 1 },
    says: /^isolation must be 'process' for an actor with numGpus > 0/,
    field: 'isolation',
    spec: { isolation: 'shared', resources: { amounts: { GPU: 1 } } },
  },
  // Issue 13, item 10: what the head once accepted though the client refused it.
  {
    what: 'maxConcurrency 2^31-1',
    client: { maxConcurrency: 2 ** 31 - 1 },
    says: /^maxConcurrency must be an integer from 1 to 100000, got 2147483647$/,
    field: 'maxConcurrency',
  },
  {
    what: 'maxRestarts -7',
    client: { maxRestarts: -7 },
    says: /^maxRestarts must be an integer >= -1, got -7$/,
    field: 'maxRestarts',
  },
  {
    what: 'maxTaskRetries -99',
    client: { maxTaskRetries: -99 },
    says: /^maxTaskRetries must be an integer >= -1, got -99$/,
    field: 'maxTaskRetries',
  },
  {
    what: 'a 10 KB namespace',
    client: { namespace: 'n'.repeat(10_000) },
    says: /^namespace must be a string of 1-200 letters, digits and _ \. - : \/ @, got 'nnnn/,
    field: 'namespace',
  },
  ...['\n', '\0', '\u202e'].map((c) => ({
    what: `a namespace holding ${JSON.stringify(c)}`,
    client: { namespace: `team${c}a` },
    says: /^namespace must be a string of 1-200 letters, digits and _ \. - : \/ @, got 'team/,
    field: 'namespace',
  })),
  {
    what: "env name 'A=B'",
    client: { env: { 'A=B': 'x' } },
    says: /^env names must be 1-256 letters, digits and _, not starting with a digit, got "A=B"$/,
    field: 'env',
  },
  {
    what: 'env TROUPE_TOKEN',
    client: { env: { TROUPE_TOKEN: 'x' } },
    says: /^env\.TROUPE_TOKEN is set by Troupe itself and cannot be given \(its credentials, session and host settings, and NODE_OPTIONS, are reserved/,
    field: 'env.TROUPE_TOKEN',
  },
  {
    what: 'env NODE_OPTIONS',
    client: { env: { NODE_OPTIONS: '--inspect=127.0.0.1:19229' } },
    says: /^env\.NODE_OPTIONS is set by Troupe itself/,
    field: 'env.NODE_OPTIONS',
  },
  {
    what: 'a 10 MB env value',
    client: { env: { BIG: 'v'.repeat(10 * 1024 * 1024) } },
    says: /^env\.BIG must be at most 131072 characters, got 10485760$/,
    field: 'env.BIG',
  },
  {
    what: '600 custom resource names',
    client: { resources: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`r${i}`, 1])) },
    says: /^resources must hold at most 128 resource names, got 600$/,
    field: 'resources',
    spec: { resources: { amounts: Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`r${i}`, 1])) } },
  },
  {
    what: 'a resource name holding U+202E',
    client: { resources: { 'ssd\u202e': 1 } },
    says: /^resources has the resource name "ssd\u202e" \(4 characters\): a resource name must be 1-128 characters/,
    field: 'resources',
    spec: { resources: { amounts: { 'ssd\u202e': 1 } } },
  },
  {
    what: 'an unknown key',
    client: { numCPUs: 1 },
    says: /^unknown actor option 'numCPUs'; valid options are: .*numCpus/,
    field: 'numCPUs',
    headSays: /^unknown actor spec field 'numCPUs'; valid fields are: module, exportName/,
    notOnTheWire: 'protobuf decoders skip unknown fields (proto3 forward compatibility)',
  },
];

let cluster: Cluster;

beforeAll(async () => {
  cluster = await connect({ numCpus: 2, warmPoolSize: 1 });
});

afterAll(async () => {
  await cluster?.shutdown();
});

/** A spec as proto-loader hands it to the head: every field present, made by the client's own function. */
function wireSpec(fields: Record<string, unknown>): WireActorSpec {
  const base = toWireActorSpec(
    {},
    {
      module: ACTORS.href,
      exportName: 'Counter',
      args: Buffer.alloc(0),
      resources: {},
      namespace: 'default',
      execArgv: [],
    },
  );
  return { ...base, ...fields } as WireActorSpec;
}

const protoDir = fileURLToPath(new URL('../../proto/', import.meta.url));
const protoRoot = new protobuf.Root();
protoRoot.resolvePath = (_origin, target) => protoDir + target;
protoRoot.loadSync([CREATE_ACTOR.proto], { keepCase: false });
const CreateActorRequest = protoRoot.lookupType(CREATE_ACTOR.request);
const ErrorInfo = protoRoot.lookupType('troupe.v1.ErrorInfo');

const identity = (b: Buffer): Buffer => b;
const RawHead = grpc.makeGenericClientConstructor(
  {
    CreateActor: {
      path: `/${CREATE_ACTOR.service}/CreateActor`,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  },
  'RawHead',
);

type UnaryFn = (req: Buffer, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, reply?: Buffer) => void) => void;

function createRaw(client: grpc.Client, spec: object): Promise<grpc.ServiceError | null> {
  const body = Buffer.from(CreateActorRequest.encode(CreateActorRequest.fromObject({ spec, ownerId: 'raw' })).finish());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${cluster.token}`);
  return new Promise((resolve) => {
    (client as unknown as Record<string, UnaryFn>).CreateActor!.call(client, body, md, (err) => resolve(err));
  });
}

const specFields = (row: Row): Record<string, unknown> => row.spec ?? row.client;

describe('one actor-spec table on the client and the head', () => {
  it('the client refuses every bad option before anything is sent, naming the field', async () => {
    const counters = cluster.actorClass<typeof Counter>(ACTORS, 'Counter');
    for (const row of ROWS) {
      const err = await rejection(counters.spawn([0], row.client as ActorOptions));
      expect(err, row.what).toBeInstanceOf(InvalidArgumentError);
      expect(err.message, row.what).toMatch(row.says);
      expect((err as InvalidArgumentError).field, row.what).toBe(row.field);
    }
    expect((await cluster.status()).actors).toHaveLength(0);
  });

  it('the head’s check of specs refuses the same values, naming the field', () => {
    for (const row of ROWS) {
      let thrown: unknown;
      try {
        validateSpec(wireSpec(specFields(row)));
      } catch (err) {
        thrown = err;
      }
      expect(thrown, row.what).toBeInstanceOf(InvalidArgumentError);
      expect((thrown as Error).message, row.what).toMatch(row.headSays ?? row.says);
      expect((thrown as InvalidArgumentError).field, row.what).toBe(row.headField ?? row.field);
    }
    // The base spec itself is fine: each row fails for its own field only.
    expect(validateSpec(wireSpec({})).maxConcurrency).toBe(1);
    // Troupe's tuning variables are the user's to set (pipeline stages set TROUPE_NUM_THREADS).
    const tuning = { TROUPE_NUM_THREADS: '2', TROUPE_NCCL_DEVICE: '0', TROUPE_LOG_LEVEL: 'debug' };
    expect(validateSpec(wireSpec({ env: tuning })).env).toEqual(tuning);
  });

  it('the head refuses them as raw CreateActor requests, with INVALID_ARGUMENT naming the field', async () => {
    const client = new RawHead(cluster.address, grpc.credentials.createInsecure());
    try {
      const onTheWire = ROWS.filter((r) => !r.notOnTheWire);
      expect(onTheWire.length).toBeGreaterThanOrEqual(15);
      for (const row of onTheWire) {
        const { args: _args, ...spec } = wireSpec(specFields(row));
        const err = await createRaw(client, spec);
        expect(err?.code, row.what).toBe(grpc.status.INVALID_ARGUMENT);
        expect(err?.details, row.what).toMatch(row.headSays ?? row.says);
        const info = ErrorInfo.toObject(ErrorInfo.decode(err!.metadata.get('troupe-error-bin')[0] as Buffer)) as {
          context: Record<string, string>;
        };
        expect(info.context.field, row.what).toBe(row.headField ?? row.field);
      }
      // maxConcurrency left out reads as 0 on the wire: refused, not quietly taken as 1.
      const { args: _a, maxConcurrency: _m, ...unset } = wireSpec({});
      expect((await createRaw(client, unset))?.details).toMatch(
        /maxConcurrency must be an integer from 1 to 100000, got 0/,
      );
    } finally {
      client.close();
    }
    expect((await cluster.status()).actors).toHaveLength(0);
  });

  it('the values the wire cannot carry are changed by the encoder, as the rows say', () => {
    const roundTrip = (spec: object) =>
      (
        CreateActorRequest.toObject(
          CreateActorRequest.decode(CreateActorRequest.encode(CreateActorRequest.fromObject({ spec })).finish()),
        ) as { spec: Record<string, unknown> }
      ).spec;
    expect(roundTrip({ maxRestarts: 1.5, maxTaskRetries: 0.5, maxConcurrency: 2.5 })).toMatchObject({
      maxRestarts: 1,
      maxConcurrency: 2,
    });
    expect(roundTrip({ env: { A: 1 } }).env).toEqual({ A: '1' });
    expect(roundTrip({ placementGroupId: 42 }).placementGroupId).toBe('42');
  });
});
