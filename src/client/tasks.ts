/**
 * Remote functions, as Ray's tasks: `cluster.task(module, exportName, options)` names an exported
 * function; `.call(...)` runs it somewhere in the cluster and resolves with its result, `.ref(...)`
 * returns a ref at once while the result stays where it was computed. Refs among the arguments are
 * waited for here, in the caller, before the task takes an executor (so a task never holds one
 * while its inputs are still being computed); the executor's host resolves them to values.
 *
 * Tasks run on executor actors (task-executor.ts), pooled per cluster handle and resource shape
 * (task-pool.ts); a run whose executor died runs again up to `maxRetries` (task-errors.ts says
 * what the caller sees when it gives up).
 */
import { InvalidArgumentError, ShutDownError, atCallSite, normalizeModule } from '../common/index.js';
import type { ObjectRef, ObjectTable, OwnedObject, RefObject } from '../objects/index.js';
import { routeOf, type ActorClass, type HandleParts } from './actor-handle.js';
import type { ClusterStatus } from './status.js';
import { taskError } from './task-errors.js';
import type { TaskExecutor } from './task-executor.js';
import {
  checkTaskOptions,
  executorActorOptions,
  mergeTaskOptions,
  poolKey,
  type CheckedTaskOptions,
  type TaskOptions,
} from './task-options.js';
import { ExecutorPool, type PoolHost, type QueuedTask } from './task-pool.js';
import type { RefArgs } from './types.js';

/** Any exported function a task can run. */
// biome-ignore lint/suspicious/noExplicitAny: any function's parameters (they are contravariant; unknown[] would refuse real ones)
export type TaskFunction = (...args: any[]) => unknown;

/**
 * Where executors come from: the package's own export, so every node loads it from its own
 * installation; a driver running from TypeScript sources (the tests) points at the source file
 * beside this one instead, as its nodes run from the same sources.
 */
export const EXECUTOR_MODULE = import.meta.url.endsWith('.ts')
  ? new URL('./task-executor.ts', import.meta.url).href
  : 'troupe/internal/task-executor';
const EXECUTOR_EXPORT = 'TaskExecutor';

/** @internal What remote functions use of the cluster handle that made them. */
export interface TaskParts {
  readonly cluster: {
    actorClass(module: string, exportName: string): ActorClass<typeof TaskExecutor>;
    status(): Promise<ClusterStatus>;
  };
  readonly parts: HandleParts;
  readonly objects: ObjectTable;
  isClosed(): boolean;
}

/** A function of a module bound to a cluster, with the resources each run holds. */
export class RemoteFunction<F extends TaskFunction> {
  private readonly checked: CheckedTaskOptions;

  /** @internal Made by `cluster.task`. */
  constructor(
    private readonly tasks: ClusterTasks,
    readonly module: string,
    readonly exportName: string,
    private readonly given: TaskOptions | undefined,
  ) {
    this.checked = checkTaskOptions(given);
  }

  /** The same function with some options changed (as Ray's `f.options(...)`); the others stay. */
  options(more: TaskOptions): RemoteFunction<F> {
    checkTaskOptions(more);
    return new RemoteFunction<F>(this.tasks, this.module, this.exportName, mergeTaskOptions(this.given, more));
  }

  /** Runs the function with these arguments (refs among them are resolved first) and resolves with its result. */
  async call(...args: RefArgs<Parameters<F>>): Promise<Awaited<ReturnType<F>>> {
    try {
      return (await this.tasks.submit(this.label, this.checked, args, undefined)) as Awaited<ReturnType<F>>;
    } catch (err) {
      throw atCallSite(err, RemoteFunction.prototype.call);
    }
  }

  /** Runs the function and returns at once a ref to its result, which stays where it was computed. */
  ref(...args: RefArgs<Parameters<F>>): ObjectRef<Awaited<ReturnType<F>>> {
    const { ref, obj } = this.tasks.objects.create<Awaited<ReturnType<F>>>();
    void this.tasks.submit(this.label, this.checked, args, obj).catch(() => undefined); // the ref carries the error
    return ref;
  }

  private get label(): { module: string; exportName: string } {
    return { module: this.module, exportName: this.exportName };
  }
}

/** The remote functions of one cluster handle: its executor pools, one per resource shape. */
class ClusterTasks {
  private readonly pools = new Map<string, ExecutorPool>();
  readonly objects: ObjectTable;
  private readonly host: PoolHost;

  constructor(private readonly t: TaskParts) {
    this.objects = t.objects;
    const executors = t.cluster.actorClass(EXECUTOR_MODULE, EXECUTOR_EXPORT);
    const invoker = t.parts.invoker;
    this.host = {
      spawn: (options) => executors.spawn([], options),
      routeOf: (handle) => routeOf(handle),
      fits: async (resources) => fitsSomeNode(await t.cluster.status(), resources),
      run: (route, args, into) =>
        into ? invoker.invokeKeepingInto(route, 'run', args, into as OwnedObject) : invoker.invoke(route, 'run', args),
      processDied: (address) => {
        for (const pool of this.pools.values()) pool.dropProcess(address);
      },
      noRoom: (needy) => {
        for (const pool of this.pools.values()) if (pool !== needy) pool.releaseIdle();
      },
    };
  }

  /**
   * Runs one task once its ref arguments are ready; settles `into` (for `.ref`) and resolves with
   * the result (undefined with `into`), or rejects with the error as the caller should see it.
   */
  submit(
    label: { module: string; exportName: string },
    opts: CheckedTaskOptions,
    args: unknown[],
    into: OwnedObject | undefined,
  ): Promise<unknown> {
    const failed = (err: unknown): Promise<never> => {
      into?.settle(undefined, err);
      return Promise.reject(err);
    };
    if (this.t.isClosed()) {
      return failed(new ShutDownError(`cannot run task ${label.exportName}: the cluster handle was shut down`));
    }
    let refs: RefObject[];
    try {
      // Checks now that the arguments can be sent, and finds the refs among them.
      refs = this.objects.encodeArgs(args, `the arguments of task ${label.exportName}`).refs;
    } catch (err) {
      return failed(err);
    }
    // The arguments' values live until the task is over, however long it waits and is run again.
    this.objects.pin(refs);
    return new Promise((resolve, reject) => {
      const settleFailure = (err: unknown): void => {
        this.objects.unpin(refs);
        into?.settle(undefined, err);
        reject(err);
      };
      const task: QueuedTask = {
        runArgs: [label.module, label.exportName, ...args],
        into,
        maxRetries: opts.maxRetries,
        retryExceptions: opts.retryExceptions,
        retries: 0,
        done: (value) => {
          this.objects.unpin(refs);
          resolve(value);
        },
        fail: (err) => settleFailure(taskError(err, label, task.retries + 1, opts.maxRetries)),
      };
      // A ref argument that failed fails the task with its own error, untouched.
      this.argumentsReady(label.exportName, refs).then(() => this.pool(opts).submit(task), settleFailure);
    });
  }

  private async argumentsReady(exportName: string, refs: RefObject[]): Promise<void> {
    for (const o of refs) {
      if (o.status !== 'ready') await this.objects.waitReady(o, undefined, `task ${exportName}: argument`);
    }
  }

  private pool(opts: CheckedTaskOptions): ExecutorPool {
    const key = poolKey(opts);
    let pool = this.pools.get(key);
    if (!pool) {
      pool = new ExecutorPool(this.host, opts.resources, executorActorOptions(opts));
      this.pools.set(key, pool);
    }
    return pool;
  }
}

/** Whether some live node has every amount of `resources` available. */
function fitsSomeNode(status: ClusterStatus, resources: Record<string, number>): boolean {
  return status.nodes.some(
    (n) => n.state === 'ALIVE' && Object.entries(resources).every(([k, v]) => (n.available[k] ?? 0) >= v),
  );
}

/** Each cluster handle's tasks, kept off the handle. */
const byCluster = new WeakMap<object, ClusterTasks>();

/**
 * `cluster.task(module, exportName, options)`: checks what it is given and returns the remote
 * function. `module` is a file URL, a path or a package name, as for `actorClass`.
 * @throws InvalidArgumentError for a missing module or name, or bad options (unknown keys listed with the valid ones).
 */
export function remoteFunction<F extends TaskFunction>(
  parts: TaskParts,
  module: URL | string,
  exportName: string,
  options?: TaskOptions,
): RemoteFunction<F> {
  if (!(module instanceof URL) && (typeof module !== 'string' || module.length === 0)) {
    throw new InvalidArgumentError('task needs a module URL, path or package name', { context: { field: 'module' } });
  }
  if (typeof exportName !== 'string' || exportName.length === 0) {
    throw new InvalidArgumentError('task needs the name of the exported function', {
      context: { field: 'exportName' },
    });
  }
  let tasks = byCluster.get(parts.cluster);
  if (!tasks) {
    tasks = new ClusterTasks(parts);
    byCluster.set(parts.cluster, tasks);
  }
  return new RemoteFunction<F>(tasks, normalizeModule(module), exportName, options);
}
