/**
 * Errors from user code and from bad requests reach the caller as typed TroupeErrors with
 * messages that say what failed: module loading, constructors, methods, spawn options.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActorConstructorError,
  ActorMethodError,
  InvalidArgumentError,
  MethodNotFoundError,
  ModuleLoadError,
  RemoteError,
  TroupeError,
  type ActorHandle,
  type ActorOptions,
  type Cluster,
} from '../../src/index.js';
import { CALLED_FROM } from '../../src/common/index.js';
import type { Counter, Failing } from '../fixtures/actors.js';
import { ACTORS, rejection, startEmbeddedCluster, timed, type EmbeddedCluster } from '../fixtures/index.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;

beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 2 });
  cluster = embedded.driver;
});

afterAll(async () => {
  await embedded?.stop();
});

describe('loading and constructing actors', () => {
  it('an unknown module fails spawn with ModuleLoadError naming the module', async () => {
    const missing = new URL('../fixtures/no-such-module.ts', import.meta.url);
    const err = await rejection(cluster.actorClass(missing, 'Anything').spawn([]));
    expect(err).toBeInstanceOf(ModuleLoadError);
    expect(err.message).toContain(`cannot load actor module ${missing.href}`);
    expect(err.message).toMatch(/cannot find module/i);
  });

  it('an unknown export fails spawn with ModuleLoadError listing the module’s exports', async () => {
    const err = await rejection(cluster.actorClass(ACTORS, 'Countr').spawn([]));
    expect(err).toBeInstanceOf(ModuleLoadError);
    expect(err.message).toContain(`module ${ACTORS.href} has no class export 'Countr'`);
    for (const name of ['Counter', 'OrderLog', 'Failing', 'Concurrent', 'Box']) expect(err.message).toContain(name);
  });

  it('a constructor that throws fails spawn with ActorConstructorError carrying the message and remote stack', async () => {
    const err = await rejection(cluster.actorClass<typeof Failing>(ACTORS, 'Failing').spawn(['throw']));
    expect(err).toBeInstanceOf(ActorConstructorError);
    expect(err.message).toContain('constructor of Failing threw: constructor refused: mode throw');
    expect((err as ActorConstructorError).remoteStack).toContain('actors.ts');
    expect(err.cause).toBeInstanceOf(RemoteError);
    expect((err.cause as RemoteError).remoteName).toBe('RangeError');

    // The head records the actor as dead, with the cause.
    const status = await cluster.status();
    const dead = status.actors.filter((a) => a.className === 'Failing' && a.state === 'DEAD');
    expect(dead.some((a) => a.death?.type === 'constructor-failed' && /mode throw/.test(a.death.message))).toBe(true);
    expect(status.pendingActors).toBe(0);
  });
});

describe('method errors', () => {
  it('a throwing method rejects with ActorMethodError; the actor keeps working', async () => {
    const f = await cluster.actorClass<typeof Failing>(ACTORS, 'Failing').spawn(['ok']);
    const pid = await f.call.pid();

    const sync = await rejection(f.call.boom('bad input'));
    expect(sync).toBeInstanceOf(ActorMethodError);
    expect(sync.message).toContain('Failing.boom');
    expect(sync.message).toContain('boom: bad input');
    expect((sync as ActorMethodError).remoteStack).toContain('actors.ts');
    expect(sync.cause).toBeInstanceOf(RemoteError);
    expect((sync.cause as RemoteError).remoteName).toBe('TypeError');
    expect((sync.cause as RemoteError).message).toBe('boom: bad input');
    expect((sync as ActorMethodError).context.actorId).toBe(f.id);

    const async = await rejection(f.call.asyncBoom());
    expect(async).toBeInstanceOf(ActorMethodError);
    expect(async.message).toContain('Failing.asyncBoom');
    expect(async.message).toContain('async boom');
    expect((async as ActorMethodError).remoteStack).toContain('actors.ts');
    expect(async.cause).toBeInstanceOf(RemoteError);
    expect((async.cause as RemoteError).remoteName).toBe('Error');

    const missing = await rejection((f.call as unknown as Record<string, () => Promise<unknown>>).noSuchMethod!());
    expect(missing).toBeInstanceOf(MethodNotFoundError);
    expect(missing.message).toContain("Failing has no method 'noSuchMethod'");
    const ctor = await rejection((f.call as unknown as Record<string, () => Promise<unknown>>).constructor!());
    expect(ctor).toBeInstanceOf(MethodNotFoundError);

    expect(await f.call.pid()).toBe(pid);
    expect((await f.state()).state).toBe('ALIVE');
    await f.kill();
  });
});

describe('what a caller sees of a remote error', () => {
  /** Awaits the call itself, so its line is the call site the stack must end with. */
  async function callerOfCustomBoom(f: ActorHandle<typeof Failing>): Promise<Error> {
    try {
      await f.call.customBoom(1e9);
    } catch (err) {
      return err as Error;
    }
    throw new Error('customBoom did not throw');
  }

  it("keeps a user's own error name and string code, with the Troupe code apart", async () => {
    const f = await cluster.actorClass<typeof Failing>(ACTORS, 'Failing').spawn(['ok']);
    const err = await callerOfCustomBoom(f);
    expect(err).toBeInstanceOf(ActorMethodError);
    expect((err as ActorMethodError).code).toBe('ACTOR_METHOD_FAILED');
    const cause = err.cause as RemoteError;
    expect(cause).toBeInstanceOf(RemoteError);
    expect(cause).toBeInstanceOf(TroupeError);
    expect(cause.name).toBe('MyError');
    expect(cause.code).toBe('E_BIG');
    expect(cause.troupeCode).toBe('REMOTE_ERROR');
    expect(cause.remoteName).toBe('MyError');
    expect(cause.remoteCode).toBe('E_BIG');
    expect(cause.message).toBe('1000000000 bytes is too big');
    // An error without a code of its own keeps the Troupe one.
    const plain = (await rejection(f.call.boom('x'))).cause as RemoteError;
    expect(plain.name).toBe('TypeError');
    expect(plain.code).toBe('REMOTE_ERROR');
    await f.kill();
  });

  it('puts the remote frames first, then the local call site, and no grpc-js frames', async () => {
    const f = await cluster.actorClass<typeof Failing>(ACTORS, 'Failing').spawn(['ok']);
    const err = await callerOfCustomBoom(f);
    const stack = err.stack ?? '';
    console.log(`the stack a caller sees:\n${stack}`);
    const lines = stack.split('\n');
    expect(lines[0]).toBe(`ActorMethodError: ${err.message}`);
    expect(lines[1]).toBe('MyError: 1000000000 bytes is too big');
    const firstFrame = lines.find((l) => /^\s+at /.test(l)) ?? '';
    expect(firstFrame).toMatch(/customBoom .*actors\.ts/);
    const sep = lines.indexOf(CALLED_FROM);
    expect(sep).toBeGreaterThan(1);
    const local = lines.slice(sep + 1);
    expect(local[0]).toMatch(/callerOfCustomBoom .*actor-errors\.test\.ts/);
    expect(stack).not.toMatch(/@grpc|node:internal|src[\\/](worker|client|transport)[\\/]/);
    // The cause reads the same way: its own name and message, its frames, where it arrived.
    const causeStack = (err.cause as Error).stack ?? '';
    expect(causeStack.split('\n')[0]).toBe('MyError: 1000000000 bytes is too big');
    expect(causeStack).toContain(CALLED_FROM);
    expect(causeStack).not.toMatch(/@grpc|node:internal/);

    // A spawn that fails on the other side reads the same way.
    const spawnFailed = await rejection(cluster.actorClass<typeof Failing>(ACTORS, 'Failing').spawn(['throw']));
    expect(spawnFailed.stack).toMatch(
      /^ActorConstructorError: .*\nRangeError: constructor refused: mode throw\n\s+at /,
    );
    expect(spawnFailed.stack).toContain(CALLED_FROM);
    expect(spawnFailed.stack).not.toMatch(/@grpc|node:internal/);
    await f.kill();
  });
});

describe('spawn option validation', () => {
  const counters = () => cluster.actorClass<typeof Counter>(ACTORS, 'Counter');
  const spawnWith = (options: unknown) => counters().spawn([0], options as ActorOptions);

  it('rejects bad options before anything reaches the cluster, naming the field and the rule', async () => {
    const before = (await cluster.status()).actors.length;
    await timed(async () => {
      const unknownKey = await rejection(spawnWith({ numCPUs: 1 }));
      expect(unknownKey).toBeInstanceOf(InvalidArgumentError);
      expect(unknownKey.message).toContain("unknown actor option 'numCPUs'");
      expect(unknownKey.message).toMatch(/valid options are: .*numCpus/);
      expect((unknownKey as InvalidArgumentError).field).toBe('numCPUs');

      const restarts = await rejection(spawnWith({ maxRestarts: 1.5 }));
      expect(restarts).toBeInstanceOf(InvalidArgumentError);
      expect(restarts.message).toBe('maxRestarts must be an integer >= -1, got 1.5');
      expect((restarts as InvalidArgumentError).field).toBe('maxRestarts');

      const gpuShared = await rejection(spawnWith({ isolation: 'shared', numGpus: 1 }));
      expect(gpuShared).toBeInstanceOf(InvalidArgumentError);
      expect(gpuShared.message).toMatch(/isolation must be 'process'.*numGpus/);
      expect((gpuShared as InvalidArgumentError).field).toBe('isolation');

      const badNumber = await rejection(spawnWith({ numCpus: -1 }));
      expect(badNumber).toBeInstanceOf(InvalidArgumentError);
      expect(badNumber.message).toBe('numCpus must be a finite number >= 0, got -1');

      const notArray = await rejection(counters().spawn(5 as unknown as [number]));
      expect(notArray).toBeInstanceOf(InvalidArgumentError);
      expect(notArray.message).toMatch(/spawn takes the constructor arguments as an array/);
      expect((notArray as InvalidArgumentError).field).toBe('args');

      const notObject = await rejection(spawnWith('fast'));
      expect(notObject).toBeInstanceOf(InvalidArgumentError);
      expect((notObject as InvalidArgumentError).field).toBe('options');
    });
    expect((await cluster.status()).actors.length).toBe(before);
  });
});
