/**
 * What a spec may ask of the head, sent raw past the client (issue 13, items 10 and 11):
 * execArgv flags that open an inspector or load code are refused unless the head was started
 * with --allow-exec-argv (an inspector port needs no token), and every error reply arrives, even
 * for specs as large as their bounds allow.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/index.js';
import { encode } from '../../src/objects/index.js';
import { checkExecArgv, MAX_RESOURCE_NAMES } from '../../src/options/index.js';
import type { Inspector } from '../fixtures/nested-actors.js';
import {
  ACTORS,
  bearer,
  decodeWire,
  encodeWire,
  errorInfoOf,
  rawClient,
  startEmbeddedCluster,
  startTestCluster,
  unaryRaw,
  type EmbeddedCluster,
  type RawClient,
  type TestCluster,
} from '../fixtures/index.js';

const METHODS = ['CreateActor', 'GetActor', 'KillActor'];
const NESTED = new URL('../fixtures/nested-actors.ts', import.meta.url);

/** A raw CreateActor of a Counter with `fields` over a good spec; a deadline far above any answer. */
function createRaw(client: RawClient, token: string, fields: object, ownerId = 'raw') {
  const spec = { module: ACTORS.href, exportName: 'Counter', maxConcurrency: 1, args: encode([3]), ...fields };
  const md = bearer(token);
  return new Promise<{ err: grpc.ServiceError | null; reply?: Buffer }>((resolve) => {
    const body = encodeWire('CreateActorRequest', { spec, ownerId });
    (client.CreateActor as (...a: unknown[]) => void).call(
      client,
      body,
      md,
      { deadline: Date.now() + 60_000 },
      (err: grpc.ServiceError | null, reply?: Buffer) => resolve({ err, reply }),
    );
  });
}

const REFUSED: string[][] = [
  ['--inspect=127.0.0.1:19229'],
  ['--inspect'],
  ['--inspect-brk=0'],
  ['--inspect-port=19229'],
  ['--debug-port=19229'],
  ['--eval', 'process.exit(7)'],
  ['-e', 'process.exit(7)'],
  ['--print=1'],
  ['-p', '1'],
  ['--require', '/tmp/x.cjs'],
  ['-r', '/tmp/x.cjs'],
  ['--import', '/tmp/x.mjs'],
  ['--import=data:text/javascript,process.exit(7)'],
  ['--loader', '/tmp/l.mjs'],
  ['--experimental-loader=/tmp/l.mjs'],
  ['--import', 'tsx', '--inspect'],
];

describe('execArgv, on a head started without --allow-exec-argv', () => {
  let embedded: EmbeddedCluster;
  let client: RawClient;
  beforeAll(async () => {
    embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 0 });
    client = rawClient(embedded.address, 'troupe.v1.ActorService', METHODS);
  });
  afterAll(async () => {
    client?.close();
    await embedded?.stop();
  });

  it('refuses inspector, eval, print, require, import and loader flags sent raw, naming the flag', async () => {
    for (const execArgv of REFUSED) {
      const { err } = await createRaw(client, embedded.token, { execArgv });
      const what = execArgv.join(' ');
      expect(err?.code, `${what}: ${err?.details}`).toBe(grpc.status.INVALID_ARGUMENT);
      expect(err?.details, what).toMatch(
        /^execArgv\[\d\] ".+" is refused: .*need a head started with --allow-exec-argv$/,
      );
      expect(errorInfoOf(err).context.field, what).toMatch(/^execArgv\[\d\]$/);
    }
    expect((await embedded.driver.status()).actors).toHaveLength(0);
  });

  it('a worker agent refuses the same flags in a StartActor sent to it straight, past the head', async () => {
    const node = (await embedded.driver.status()).nodes[0]!;
    const worker = rawClient(node.address, 'troupe.v1.WorkerService', ['StartActor']);
    try {
      for (const execArgv of [['--inspect=127.0.0.1:19229'], ['--require', '/tmp/x.cjs']]) {
        const spec = { module: ACTORS.href, exportName: 'Counter', maxConcurrency: 1, args: encode([3]), execArgv };
        const body = encodeWire('StartActorRequest', { actorId: 'raw-worker-actor', spec, incarnation: 1 });
        const { err } = await unaryRaw(worker, 'StartActor', body, bearer(embedded.token));
        expect(err?.code, `${execArgv.join(' ')}: ${err?.details}`).toBe(grpc.status.INVALID_ARGUMENT);
        expect(err?.details).toMatch(/^execArgv\[0\] ".+" is refused: .*--allow-exec-argv$/);
      }
    } finally {
      worker.close();
    }
  });

  it('starts actors with the tsx loader, which Troupe adds itself for .ts modules', async () => {
    for (const execArgv of [['--import', 'tsx'], ['--import=tsx']]) {
      const { err, reply } = await createRaw(client, embedded.token, { execArgv });
      expect(err, err?.details).toBeNull();
      const { actor } = decodeWire<{ actor: { actorId: string; state: string } }>('CreateActorReply', reply!);
      expect(actor.state).toBe('ALIVE');
      const killed = await unaryRaw(
        client,
        'KillActor',
        encodeWire('KillActorRequest', { actorId: actor.actorId }),
        bearer(embedded.token),
      );
      expect(killed.err).toBeNull();
    }
  });

  it('the policy: tsx in every form, trusted flags as given, anything with --allow-exec-argv', () => {
    for (const ok of [['--import', 'tsx'], ['--import=tsx'], ['--loader', 'tsx'], ['--experimental-loader=tsx/esm']]) {
      expect(() => checkExecArgv(ok)).not.toThrow();
    }
    const trusted = { trustedExecArgv: ['--import', '/app/register.mjs'] };
    expect(() => checkExecArgv(['--import', '/app/register.mjs', '--import', 'tsx'], trusted)).not.toThrow();
    expect(() => checkExecArgv(['--import', '/app/other.mjs'], trusted)).toThrow(/execArgv\[0\] "--import \/app/);
    expect(() => checkExecArgv(['--import', 'tsx', '-e', 'x'], trusted)).toThrow(/execArgv\[2\] "-e" is refused/);
    expect(() => checkExecArgv(['--inspect=0.0.0.0:9229'], { allowExecArgv: true })).not.toThrow();
    // Bounds that hold even with --allow-exec-argv.
    const err = (() => {
      try {
        checkExecArgv(Array(65).fill('--no-warnings'), { allowExecArgv: true });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toBe('execArgv must hold at most 64 flags, got 65');
    expect(() => checkExecArgv(['x'.repeat(5000)], { allowExecArgv: true })).toThrow(/at most 4096 characters/);
  });

  it('a job id sent raw is bounded like an owner id; a good one reaches the actor’s runtime context', async () => {
    for (const jobId of ['x'.repeat(201), 'job with spaces', 'job\u0000nul']) {
      const { err } = await createRaw(client, embedded.token, { jobId });
      expect(err?.code, jobId.slice(0, 20)).toBe(grpc.status.INVALID_ARGUMENT);
      expect(errorInfoOf(err!).context.field).toBe('spec.job_id');
      expect(err?.details).toMatch(/spec\.job_id must be 1-200 letters, digits/);
    }
    const spec = { module: NESTED.href, exportName: 'Inspector', jobId: 'job-raw-1' };
    const { err, reply } = await createRaw(client, embedded.token, spec);
    expect(err, err?.details).toBeNull();
    const { actor } = decodeWire<{ actor: { actorId: string } }>('CreateActorReply', reply!);
    const seen = embedded.driver.handleById<typeof Inspector>(actor.actorId, 'default', '');
    expect((await seen.call.context()).now).toMatchObject({ actorId: actor.actorId, jobId: 'job-raw-1' });
  });

  it('every error reply arrives, for specs as large as the bounds allow and beyond them', async () => {
    const longNames = (n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${String(i).padStart(4, '0')}${'r'.repeat(124)}`, 1]));
    // The most names the bounds allow, none of them on any node: RESOURCES_INFEASIBLE, cut to size.
    const infeasible = await createRaw(client, embedded.token, {
      resources: { amounts: longNames(MAX_RESOURCE_NAMES) },
    });
    expect(infeasible.err?.code, infeasible.err?.details).toBe(grpc.status.FAILED_PRECONDITION);
    expect(errorInfoOf(infeasible.err).code).toBe('RESOURCES_INFEASIBLE');
    console.log(`RESOURCES_INFEASIBLE for ${MAX_RESOURCE_NAMES} names: ${infeasible.err?.details.length} characters`);
    // More names than the bounds allow: refused before any placement.
    const tooMany = await createRaw(client, embedded.token, { resources: { amounts: longNames(600) } });
    expect(tooMany.err?.code, tooMany.err?.details).toBe(grpc.status.INVALID_ARGUMENT);
    expect(tooMany.err?.details).toBe(`resources must hold at most ${MAX_RESOURCE_NAMES} resource names, got 600`);
    // An owner id past its bound (every record it creates keeps it): refused, naming the field.
    const owner = await createRaw(client, embedded.token, {}, 'o'.repeat(10_000));
    expect(owner.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(errorInfoOf(owner.err).context.field).toBe('owner_id');
    expect(owner.err?.details).toMatch(
      /^owner_id must be 1-200 letters, digits and _ \. - : \/ @, got "o{40}…" \(10000 characters\)$/,
    );
    // A name far past its bound in GetActor: refused, naming the field.
    const lookup = await unaryRaw(
      client,
      'GetActor',
      encodeWire('GetActorRequest', { name: 'z'.repeat(40_000) }),
      bearer(embedded.token),
    );
    expect(lookup.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(errorInfoOf(lookup.err).context.field).toBe('name');
    expect(lookup.err?.details).toMatch(/^name must be a string of 1-200 letters/);
    const badNamespace = await unaryRaw(
      client,
      'GetActor',
      encodeWire('GetActorRequest', { name: 'c', namespace: 'a\u202eb' }),
      bearer(embedded.token),
    );
    expect(errorInfoOf(badNamespace.err).context.field).toBe('namespace');
  });
});

describe('execArgv, on a head started with troupe start --head --allow-exec-argv', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    // startTestCluster starts its head with --allow-exec-argv (its driver runs under vitest's flags).
    cluster = await startTestCluster({ workers: [{ warmPool: 0 }] });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts an actor with the inspector flag it asks for', async () => {
    const client = rawClient(cluster.address, 'troupe.v1.ActorService', METHODS);
    try {
      const { err, reply } = await createRaw(client, cluster.token, { execArgv: ['--inspect=127.0.0.1:0'] });
      expect(err, err?.details).toBeNull();
      expect(decodeWire<{ actor: { state: string } }>('CreateActorReply', reply!).actor.state).toBe('ALIVE');
    } finally {
      client.close();
    }
  });
});
