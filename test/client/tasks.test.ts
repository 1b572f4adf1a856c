/**
 * Remote functions (`cluster.task`) on an embedded cluster with real executor processes: call and
 * ref, refs as arguments, many tasks in flight, executors sharing host processes, what a throw, a
 * missing function and bad options look like, and runs again after the executor's process was
 * killed (SIGKILL), up to maxRetries. The killing tests come last: a kill takes the shared host
 * process, and every executor in it, down.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActorDiedError,
  ActorMethodError,
  InvalidArgumentError,
  ModuleLoadError,
  ObjectRef,
  ResourcesInfeasibleError,
  type Cluster,
} from '../../src/index.js';
import { eventually, rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';
import type { Counter } from '../fixtures/actors.js';
import { ACTORS } from '../fixtures/index.js';
import {
  TASK_FNS,
  type add,
  type addThenCount,
  type dieAlways,
  type dieOnce,
  type fail,
  type range,
  type slowSquare,
  type sum,
  type throwOnce,
  type waitForFile,
  type whereAmI,
} from '../fixtures/task-fns.js';

let embedded: EmbeddedCluster;
let cluster: Cluster;
const dirs: string[] = [];

function tmpDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-tasks-'));
  dirs.push(dir);
  return dir;
}

beforeAll(async () => {
  // Idle executors stay (unless another shape needs their room), so each test sees what it made.
  process.env.TROUPE_TASK_IDLE_MS = '600000';
  embedded = await startEmbeddedCluster({ numCpus: 4, warmPoolSize: 1 });
  cluster = embedded.driver;
});

afterAll(async () => {
  await embedded?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('remote functions', () => {
  it('call resolves with the result; ref returns a ref at once, read with get', async () => {
    const addFn = cluster.task<typeof add>(TASK_FNS, 'add');
    expect(await addFn.call(1, 2)).toBe(3);
    const ref = addFn.ref(2, 3);
    expect(ref).toBeInstanceOf(ObjectRef);
    expect(await cluster.get(ref)).toBe(5);
  });

  it('takes refs as arguments: from cluster.put, from another task’s ref (ready or not yet)', async () => {
    const sumFn = cluster.task<typeof sum>(TASK_FNS, 'sum');
    const addFn = cluster.task<typeof add>(TASK_FNS, 'add');
    expect(await sumFn.call(await cluster.put([1, 2, 3, 4]))).toBe(10);
    const three = addFn.ref(1, 2);
    await cluster.wait([three]);
    expect(await addFn.call(three, 10)).toBe(13);
    // Not ready when passed: the task waits for it in the caller.
    const nine = cluster.task<typeof slowSquare>(TASK_FNS, 'slowSquare').ref(3, 200);
    expect(await addFn.call(nine, 1)).toBe(10);
  });

  it('keeps a large ref result where it was computed; a task reading it gets the value', async () => {
    const n = 100_000; // 800 kB: kept on the executor's data plane, not sent back
    const big = cluster.task<typeof range>(TASK_FNS, 'range').ref(n);
    await cluster.wait([big]);
    expect(cluster.objectStats().heldBytes).toBe(0);
    expect(await cluster.task<typeof sum>(TASK_FNS, 'sum').call(big)).toBe((n * (n - 1)) / 2);
    expect((await cluster.get(big)).length).toBe(n);
  });

  it('runs 200 tasks in flight, each with its own right result', async () => {
    const addFn = cluster.task<typeof add>(TASK_FNS, 'add');
    const calls = Array.from({ length: 100 }, (_, i) => addFn.call(i, 1000));
    const refs = Array.from({ length: 100 }, (_, i) => addFn.ref(i, 2000));
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1000));
    expect(await cluster.get(refs)).toEqual(Array.from({ length: 100 }, (_, i) => i + 2000));
  });

  it('a task waiting for a ref argument holds no executor; idle executors make way for another shape', async () => {
    // On 4 CPUs: a 4-CPU task whose argument comes from a 1-CPU task. Were the 4-CPU task to take
    // its (idle) executor while it waits, the 1-CPU task would never find room.
    const whole = cluster.task<typeof add>(TASK_FNS, 'add', { numCpus: 4 });
    expect(await whole.call(1, 1)).toBe(2);
    const nine = cluster.task<typeof slowSquare>(TASK_FNS, 'slowSquare').ref(3, 100);
    expect(await whole.call(nine, 1)).toBe(10);
  });

  it('kills an executor left idle, giving its resources back', async () => {
    process.env.TROUPE_TASK_IDLE_MS = '200'; // read by the pool this shape makes now
    try {
      const half = cluster.task<typeof whereAmI>(TASK_FNS, 'whereAmI', { numCpus: 0.5 });
      expect((await half.call('idle')).tag).toBe('idle');
    } finally {
      process.env.TROUPE_TASK_IDLE_MS = '600000';
    }
    const halfCpuExecutors = async () =>
      (await cluster.status()).actors.filter((a) => a.className === 'TaskExecutor' && a.resources.CPU === 0.5);
    expect(await halfCpuExecutors()).not.toHaveLength(0);
    expect(await eventually(async () => (await halfCpuExecutors()).every((a) => a.state === 'DEAD'), 30_000)).toBe(
      true,
    );
  });

  it('grows its executors while tasks wait, and executors share host processes', async () => {
    const dir = tmpDir();
    const release = path.join(dir, 'go');
    const waitFn = cluster.task<typeof waitForFile>(TASK_FNS, 'waitForFile');
    const running = Array.from({ length: 6 }, () => waitFn.call(release));
    const executors = async () =>
      (await cluster.status()).actors.filter((a) => a.className === 'TaskExecutor' && a.state === 'ALIVE');
    let pids: Set<number>;
    try {
      // The 4-CPU cluster holds 4 executors of 1 CPU; the pool grows to at least 2 while all are busy.
      expect(await eventually(async () => (await executors()).length >= 2, 30_000)).toBe(true);
      const alive = await executors();
      pids = new Set(alive.map((a) => a.pid));
      expect(pids.size).toBeLessThan(alive.length);
    } finally {
      writeFileSync(release, '');
    }
    const ranIn = await Promise.all(running);
    for (const pid of ranIn) expect(pids).toContain(pid);
  });

  it('a throw comes back as an ActorMethodError naming the function, and is not run again', async () => {
    const err = await rejection(cluster.task<typeof fail>(TASK_FNS, 'fail').call('boom'));
    expect(err).toBeInstanceOf(ActorMethodError);
    expect(err.message).toBe('task fail threw: boom');
    expect((err.cause as Error).name).toBe('FixtureError');
    // The stack: the function's frames, then this line.
    expect(err.stack).toMatch(
      /^ActorMethodError: task fail threw: boom\n[\s\S]*task-fns\.ts[\s\S]*called from[\s\S]*tasks\.test\.ts/,
    );
    const refErr = await rejection(cluster.get(cluster.task<typeof fail>(TASK_FNS, 'fail').ref('via ref')));
    expect(refErr.message).toBe('task fail threw: via ref');

    const dir = tmpDir();
    const once = cluster.task<typeof throwOnce>(TASK_FNS, 'throwOnce');
    expect((await rejection(once.call(dir))).message).toBe('task throwOnce threw: first run throws');
    // With retryExceptions it runs again, and the second run succeeds.
    expect(await once.options({ retryExceptions: true }).call(tmpDir())).toBe('second run');
  });

  it('a failed ref argument fails the task with its own error', async () => {
    const failed = cluster.task<typeof fail>(TASK_FNS, 'fail').ref('upstream');
    const err = await rejection(cluster.task<typeof add>(TASK_FNS, 'add').call(failed as never, 1));
    expect(err.message).toBe('task fail threw: upstream');
  });

  it('a missing export, a non-function export or a missing module is a ModuleLoadError naming them', async () => {
    const missing = await rejection(cluster.task(TASK_FNS, 'nope').call());
    expect(missing).toBeInstanceOf(ModuleLoadError);
    expect(missing.message).toMatch(
      /task module file:.*task-fns\.ts has no export 'nope'; its exported functions are: .*add/,
    );
    const notFn = await rejection(cluster.task(TASK_FNS, 'notAFunction').call());
    expect(notFn).toBeInstanceOf(ModuleLoadError);
    expect(notFn.message).toMatch(/exports 'notAFunction' as a number, not a function/);
    const noModule = await rejection(cluster.task('/nonexistent/troupe-tasks.js', 'f').call());
    expect(noModule).toBeInstanceOf(ModuleLoadError);
    expect(noModule.message).toMatch(/cannot load task module \/nonexistent\/troupe-tasks\.js/);
  });

  it('refuses bad options, naming the field and listing the valid ones', () => {
    const bad = (options: unknown): Error => {
      try {
        cluster.task(TASK_FNS, 'add', options as never);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidArgumentError);
        return err as Error;
      }
      throw new Error('expected a refusal');
    };
    expect(bad({ maxRetries: 'x' }).message).toBe("maxRetries must be an integer >= -1 (-1: unlimited), got 'x'");
    expect(bad({ numCPUs: 1 }).message).toBe(
      "unknown task option 'numCPUs'; valid options are: numCpus, numGpus, memory, resources, maxRetries, retryExceptions, isolation",
    );
    expect(bad({ numGpus: 1, isolation: 'shared' }).message).toMatch(
      /isolation must be 'process' for a task with numGpus > 0/,
    );
    expect(bad({ resources: { CPU: 2 } }).message).toMatch(/resources.CPU is set through numCpus/);
    expect(() => cluster.task(TASK_FNS, 'add').options({ maxRetries: 1.5 })).toThrow(/maxRetries must be an integer/);
    expect(() => cluster.task(TASK_FNS, '')).toThrow(/task needs the name of the exported function/);
  });

  it('fails a task the cluster can never hold, with the head’s reason', async () => {
    const err = await rejection(
      cluster.task<typeof add>(TASK_FNS, 'add', { resources: { unobtainium: 1 } }).call(1, 1),
    );
    expect(err).toBeInstanceOf(ResourcesInfeasibleError);
  });

  it('runs a task again after its executor’s process was killed, and it succeeds', async () => {
    const dir = tmpDir();
    expect(await cluster.task<typeof dieOnce>(TASK_FNS, 'dieOnce').call(dir)).toMatch(
      /^ran again after pid \d+ was killed$/,
    );
  });

  it('with maxRetries 0 a killed run fails with ActorDiedError naming SIGKILL', async () => {
    const dieFn = cluster.task<typeof dieOnce>(TASK_FNS, 'dieOnce', { maxRetries: 0 });
    const err = await rejection(dieFn.call(tmpDir()));
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toMatch(
      /^task dieOnce failed: its executor \S+ died \(its process was killed by signal SIGKILL\); maxRetries is 0/,
    );
  });

  it('gives up after maxRetries more runs, saying how often it ran', async () => {
    const ref = cluster.task<typeof dieAlways>(TASK_FNS, 'dieAlways', { maxRetries: 1 }).ref();
    const err = await rejection(cluster.get(ref));
    expect(err).toBeInstanceOf(ActorDiedError);
    expect(err.message).toMatch(/killed by signal SIGKILL\); it ran 2 times, the first and maxRetries 1 more$/);
  });
});

describe('tasks that use the cluster', () => {
  it('a task runs another task through currentCluster() and calls an actor through a handle it was passed', async () => {
    // A cluster of its own: the outer run holds a CPU while the inner one needs another, and idle
    // executors of the tests above (another owner's) would hold them.
    await using own = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 1 });
    const c = own.driver;
    const counter = await c.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([100], { numCpus: 0 });
    const outer = c.task<typeof addThenCount>(TASK_FNS, 'addThenCount');
    expect(await outer.call(counter, 2, 3)).toEqual({ sum: 5, counted: 105 });
    expect(await counter.call.get()).toBe(105);
    // The inner task ran on an executor the outer one's executor spawned (its owner).
    const executors = (await c.status()).actors.filter((a) => a.className === 'TaskExecutor');
    const ids = new Set(executors.map((e) => e.actorId));
    expect(executors.some((e) => ids.has(e.ownerId))).toBe(true);
  });
});

describe('shutdown', () => {
  it('fails the running, the queued and the argument-waiting tasks of a handle that shuts down', async () => {
    const own = await startEmbeddedCluster({ numCpus: 1, warmPoolSize: 1 });
    const c = own.driver;
    const never = path.join(tmpDir(), 'never');
    const waitFn = c.task<typeof waitForFile>(TASK_FNS, 'waitForFile');
    const running = waitFn.call(never);
    // One executor of the one CPU runs the first; the others wait in the queue, or for their argument.
    expect(await eventually(async () => (await c.status()).actors.some((a) => a.state === 'ALIVE'), 30_000)).toBe(true);
    const queued = [waitFn.call(never), waitFn.call(never)];
    const waitingArg = c.task<typeof add>(TASK_FNS, 'add').call(waitFn.ref(never) as never, 1);
    const outcomes = Promise.allSettled([running, ...queued, waitingArg]);
    await own.stop();
    const settled = await outcomes;
    expect(settled.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(((settled[1] as PromiseRejectedResult).reason as Error).name).toBe('ShutDownError');
  });
});

/** Compile-time checks of the types (never run). */
function typeChecks(c: Cluster): void {
  const addFn = c.task<typeof add>(TASK_FNS, 'add');
  const n: Promise<number> = addFn.call(1, 2);
  const r: ObjectRef<number> = addFn.ref(addFn.ref(1, 2), 3);
  // @ts-expect-error a string is no number
  void addFn.call('1', 2);
  void n;
  void r;
}
void typeChecks;
