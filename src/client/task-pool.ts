/**
 * The executors of one resource shape: actors that run tasks one at a time each, so a running task
 * holds its resources, as in Ray. Tasks wait in a queue here, in the caller, and go to the next
 * free executor. The pool starts with one executor and spawns another, one spawn at a time, while
 * every executor is busy and tasks wait, as long as some node has the shape free (`fits`, from the
 * cluster's status) and the pool is below MAX_EXECUTORS; a spawn that stays pending holds growth
 * back until it is placed. Without room, the driver's other pools kill their idle executors to make
 * way. An executor whose process died is dropped (with the others of its
 * process, in every pool of the driver) and its task queued again at the front, while its retries
 * last; an executor idle for IDLE_RELEASE_MS (10 s) is killed, so idle executors do not hold resources.
 */
import type { ActorRoute } from './actor-route.js';
import type { ActorHandle } from './actor-handle.js';
import type { ActorOptions } from './options.js';
import { isExecutorDeath, thrownByTask } from './task-errors.js';
import type { TaskExecutor } from './task-executor.js';

/** Most executors one pool holds (tasks of no resources would fit without end). */
export const MAX_EXECUTORS = 64;
/** An executor idle this long is killed, giving its resources back (`TROUPE_TASK_IDLE_MS` sets another, read per pool). */
export const IDLE_RELEASE_MS = 10_000;
/** After the cluster had no room for another executor, how long before the pool asks again. */
const GROW_RECHECK_MS = 500;

export type ExecutorHandle = ActorHandle<typeof TaskExecutor>;

/** What a pool needs of its cluster handle. */
export interface PoolHost {
  spawn(options: ActorOptions): Promise<ExecutorHandle>;
  routeOf(handle: ExecutorHandle): ActorRoute;
  /** Whether some node has `resources` free now. */
  fits(resources: Record<string, number>): Promise<boolean>;
  /** Calls `run` on an executor; with `into`, the result stays there and a failure leaves `into` pending. */
  run(route: ActorRoute, args: unknown[], into: unknown): Promise<unknown>;
  /** An executor's process died: every pool drops its executors in that process. */
  processDied(address: string): void;
  /** The cluster has no room for `pool`: the other pools kill their idle executors, giving room back. */
  noRoom(pool: ExecutorPool): void;
}

/** One run of a task as the pool sees it: its arguments, where its result goes, how it may be retried. */
export interface QueuedTask {
  /** The arguments of `TaskExecutor.run`: module, export name, then the task's own. */
  readonly runArgs: unknown[];
  /** The owned object a `.ref()` result goes into; undefined for `.call()`. */
  readonly into: unknown;
  readonly maxRetries: number;
  readonly retryExceptions: boolean;
  /** Runs that failed so far and were run again. */
  retries: number;
  done(value: unknown): void;
  fail(err: unknown): void;
}

interface Executor {
  readonly handle: ExecutorHandle;
  readonly route: ActorRoute;
  busy: boolean;
  idleSince: number;
}

export class ExecutorPool {
  private readonly executors: Executor[] = [];
  private readonly queue: QueuedTask[] = [];
  private spawning = false;
  /** Growth waits until then after the cluster had no room. */
  private growAfter = 0;
  private growTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly idleMs = Number(process.env.TROUPE_TASK_IDLE_MS) || IDLE_RELEASE_MS;

  constructor(
    private readonly host: PoolHost,
    private readonly resources: Record<string, number>,
    private readonly spawnOptions: ActorOptions,
  ) {}

  /** Queues a task whose ref arguments are ready; it runs on the next free executor. */
  submit(task: QueuedTask): void {
    this.queue.push(task);
    this.pump();
  }

  /** Drops the idle executors living in the process at `address`, which died; busy ones learn it from their call. */
  dropProcess(address: string): void {
    for (let i = this.executors.length - 1; i >= 0; i--) {
      const ex = this.executors[i]!;
      if (!ex.busy && ex.route.current.address === address) {
        this.executors.splice(i, 1);
        void ex.handle.kill().catch(() => undefined); // surely dead; should it live, it gives its resources back
      }
    }
    this.growAfter = 0;
    this.pump();
  }

  /** Kills the executors that run nothing: a pool of another shape needs their resources. */
  releaseIdle(): void {
    for (let i = this.executors.length - 1; i >= 0; i--) {
      const ex = this.executors[i]!;
      if (ex.busy) continue;
      this.executors.splice(i, 1);
      void ex.handle.kill().catch(() => undefined);
    }
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const ex = this.executors.find((e) => !e.busy);
      if (!ex) break;
      this.start(ex, this.queue.shift()!);
    }
    if (this.queue.length > 0) this.grow();
    this.armIdleRelease();
  }

  private start(ex: Executor, task: QueuedTask): void {
    ex.busy = true;
    this.host.run(ex.route, task.runArgs, task.into).then(
      (value) => {
        this.release(ex);
        task.done(value);
        this.pump();
      },
      (err: unknown) => {
        if (isExecutorDeath(err)) {
          this.remove(ex);
          this.retryOrFail(task, err);
          const death = err.death;
          // The process died (not the actor alone): the other executors in it are gone too.
          if (death && death.type !== 'killed') this.host.processDied(ex.route.current.address);
        } else {
          this.release(ex);
          if (task.retryExceptions && thrownByTask(err)) this.retryOrFail(task, err);
          else task.fail(err);
        }
        this.pump();
      },
    );
  }

  private retryOrFail(task: QueuedTask, err: unknown): void {
    if (task.maxRetries !== -1 && task.retries >= task.maxRetries) {
      task.fail(err);
      return;
    }
    task.retries++;
    this.queue.unshift(task);
  }

  private release(ex: Executor): void {
    ex.busy = false;
    ex.idleSince = Date.now();
  }

  private remove(ex: Executor): void {
    const i = this.executors.indexOf(ex);
    if (i >= 0) this.executors.splice(i, 1);
    this.growAfter = 0;
  }

  /**
   * Starts one more executor when the cluster has room; the first one always (the head queues it
   * until there is room, or refuses it when there never can be). Without room, the other pools'
   * idle executors make way.
   */
  private grow(): void {
    if (this.spawning || this.executors.length >= MAX_EXECUTORS) return;
    const first = this.executors.length === 0;
    if (!first && Date.now() < this.growAfter) {
      this.growTimer ??= setTimeout(() => {
        this.growTimer = undefined;
        this.pump();
      }, this.growAfter - Date.now()).unref();
      return;
    }
    this.spawning = true;
    void this.spawnOne(first);
  }

  private async spawnOne(first: boolean): Promise<void> {
    try {
      if (!(await this.host.fits(this.resources))) {
        this.host.noRoom(this);
        if (!first) {
          this.growAfter = Date.now() + GROW_RECHECK_MS;
          return;
        }
      }
      const handle = await this.host.spawn(this.spawnOptions);
      this.executors.push({ handle, route: this.host.routeOf(handle), busy: false, idleSince: Date.now() });
    } catch (err) {
      if (this.executors.length === 0) {
        // Nothing can run the waiting tasks (no room can ever be found, or the cluster shut down).
        for (const task of this.queue.splice(0)) task.fail(err);
      } else {
        this.growAfter = Date.now() + GROW_RECHECK_MS;
      }
    } finally {
      this.spawning = false;
    }
    this.pump();
  }

  /** Kills executors idle for `idleMs` while nothing waits; checks again while any are left. */
  private armIdleRelease(): void {
    if (this.idleTimer || this.executors.length === 0) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      const now = Date.now();
      if (this.queue.length === 0) {
        for (let i = this.executors.length - 1; i >= 0; i--) {
          const ex = this.executors[i]!;
          if (ex.busy || now - ex.idleSince < this.idleMs) continue;
          this.executors.splice(i, 1);
          void ex.handle.kill().catch(() => undefined);
        }
      }
      this.armIdleRelease();
    }, this.idleMs).unref();
  }
}
