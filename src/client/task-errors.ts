/**
 * How a task's failures read: what comes back from its executor actor (an ActorMethodError of
 * `TaskExecutor.run`, an ActorDiedError of the call to `run`) is told apart here (a death is run
 * again, a throw only with retryExceptions) and retold in the task's own terms, naming the function.
 */
import {
  ActorDiedError,
  ActorMethodError,
  ModuleLoadError,
  TroupeError,
  describeDeath,
  type TroupeErrorInit,
} from '../common/index.js';
import { TASK_LOAD_CODE } from './task-executor.js';

/** Which task a failure belongs to. */
export interface TaskLabel {
  module: string;
  exportName: string;
}

/** The executor's process died (or the executor was killed) while it ran the task, or before. */
export function isExecutorDeath(err: unknown): err is ActorDiedError {
  return err instanceof ActorDiedError;
}

/** The function could not be found: its module failed to load, or has no such function. */
function isLoadFailure(err: unknown): err is ActorMethodError {
  if (!(err instanceof ActorMethodError)) return false;
  const cause = err.cause;
  return cause instanceof TroupeError && cause.context.remoteCode === TASK_LOAD_CODE;
}

/** The function itself threw (what retryExceptions runs again). */
export function thrownByTask(err: unknown): err is ActorMethodError {
  return err instanceof ActorMethodError && !isLoadFailure(err);
}

/** `next` with the stack of `err` (the remote frames and the call site), under its own header. */
function restacked<E extends Error>(next: E, err: Error): E {
  const header = `${err.name}: ${err.message}`;
  if (typeof err.stack === 'string' && err.stack.startsWith(header)) {
    next.stack = `${next.name}: ${next.message}${err.stack.slice(header.length)}`;
  }
  return next;
}

/**
 * The error a task's caller sees for what its last run failed with: the function's own throw as an
 * ActorMethodError naming the function, a missing function as a ModuleLoadError naming module and
 * export, the executor's death as an ActorDiedError naming the cause (the signal, say) and the runs.
 * Anything else (the cluster shut down, a ref argument failed) is passed on as it is.
 */
export function taskError(err: unknown, task: TaskLabel, runs: number, maxRetries: number): unknown {
  const context = { task: task.exportName, module: task.module, method: task.exportName };
  if (isLoadFailure(err)) {
    const cause = err.cause as TroupeError;
    return restacked(new ModuleLoadError(cause.message, { context }), err);
  }
  if (err instanceof ActorMethodError) {
    const cause = err.cause;
    const thrown = cause instanceof Error ? cause.message : err.message;
    const init: TroupeErrorInit = { cause, context: { ...err.context, ...context }, remoteStack: err.remoteStack };
    return restacked(new ActorMethodError(`task ${task.exportName} threw: ${thrown}`, init), err);
  }
  if (err instanceof ActorDiedError) {
    const death = err.death;
    const why = death ? describeDeath(death) : 'its process was lost';
    const executor = err.context.actorId ?? 'actor';
    const retries =
      maxRetries === 0
        ? 'maxRetries is 0, so it was not run again'
        : `it ran ${runs} times, the first and maxRetries ${maxRetries} more`;
    return restacked(
      new ActorDiedError(`task ${task.exportName} failed: its executor ${executor} died (${why}); ${retries}`, {
        cause: err.cause,
        context: { ...err.context, ...context },
      }),
      err,
    );
  }
  return err;
}
