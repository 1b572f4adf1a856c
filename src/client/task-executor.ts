/**
 * The actor that runs tasks (`cluster.task`): the driver's pool spawns executors with a task's
 * resources, one run at a time each, and calls `run(module, exportName, ...args)`; the actor host
 * has resolved the refs among the arguments by then, and keeps the result where it is (or sends it
 * back), as for any actor call.
 *
 * It is loaded by the actor host as `troupe/internal/task-executor` (package.json "exports"), so
 * every node resolves it from its own installation. It throws plain errors tagged with a string
 * `code` (TASK_LOAD), not Troupe's classes: a host may load this file from another copy of Troupe
 * than its own, and the driver tells the failures apart by that code (tasks.ts).
 */
import { toImportable } from '../common/index.js';

/** `code` of an error that says the task's function could not be found (tasks.ts turns it into a ModuleLoadError). */
export const TASK_LOAD_CODE = 'TASK_LOAD';

type TaskFn = (...args: unknown[]) => unknown;

/** Modules of tasks, imported once per process: a shared host holds many executors. */
const modules = new Map<string, Promise<Record<string, unknown>>>();

function loadError(message: string, cause?: unknown): Error {
  const err = new Error(message, cause === undefined ? undefined : { cause });
  err.name = 'TaskLoadError';
  (err as Error & { code: string }).code = TASK_LOAD_CODE;
  return err;
}

async function loadModule(module: string): Promise<Record<string, unknown>> {
  let loading = modules.get(module);
  if (!loading) {
    loading = import(toImportable(module)) as Promise<Record<string, unknown>>;
    modules.set(module, loading);
    // A failed import is not cached: the next task of that module tries again.
    loading.catch(() => modules.delete(module));
  }
  try {
    return await loading;
  } catch (err) {
    throw loadError(`cannot load task module ${module}: ${(err as Error).message ?? String(err)}`, err);
  }
}

/** The function `exportName` of `module`, or an error naming both and what the module exports instead. */
async function findTask(module: string, exportName: string): Promise<TaskFn> {
  const mod = await loadModule(module);
  const fn = mod[exportName];
  if (typeof fn === 'function') return fn as TaskFn;
  const functions = Object.keys(mod).filter((k) => typeof mod[k] === 'function');
  const found =
    fn === undefined ? `has no export '${exportName}'` : `exports '${exportName}' as a ${typeof fn}, not a function`;
  throw loadError(
    `task module ${module} ${found}` +
      (functions.length ? `; its exported functions are: ${functions.join(', ')}` : '; it exports no functions'),
  );
}

export class TaskExecutor {
  /** Runs one task: the function `exportName` of `module`, with the (resolved) arguments. */
  async run(module: string, exportName: string, ...args: unknown[]): Promise<unknown> {
    const fn = await findTask(module, exportName);
    return fn(...args);
  }

  /** This executor's process, for tests and debugging. */
  pid(): number {
    return process.pid;
  }
}
