/**
 * Options of a remote function (`cluster.task(module, name, options)`), as Ray's `@ray.remote`
 * options: what one run of the task holds while it runs, and how often it is run again when its
 * executor's process dies. Checked with the shared helper; the executor actors they turn into are
 * described here too (their resource shape names the pool that runs the task).
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../common/index.js';
import { RESOURCE_FIELDS, checkOptions, field, type Fields } from '../options/index.js';
import { resourceRequest, type ActorOptions } from './options.js';

export interface TaskOptions {
  /** CPUs one run holds while it runs. Default 1, as Ray's tasks. */
  numCpus?: number;
  /** GPUs one run holds: a whole number, or a fraction below 1. Default 0. GPU tasks get executor processes of their own. */
  numGpus?: number;
  /** Memory one run holds, in bytes. Default 0. */
  memory?: number;
  /** Custom resources one run holds, e.g. `{ ssd: 1 }`. */
  resources?: Record<string, number>;
  /** Runs again after its executor's process died while running it. Default 3, as Ray; -1 is unlimited; 0 never. */
  maxRetries?: number;
  /** Also runs again (within maxRetries) when the function threw. Default false, as Ray's retry_exceptions. */
  retryExceptions?: boolean;
  /**
   * `'shared'` (default without GPUs): executors live together in shared host processes.
   * `'process'` (default, and required, with GPUs): each executor has a process of its own, so
   * CPU-bound runs on one node do not share one event loop.
   */
  isolation?: 'shared' | 'process';
}

export const TASK_DEFAULTS = { numCpus: 1, maxRetries: 3, retryExceptions: false } as const;

const FIELDS: Fields<TaskOptions> = {
  ...RESOURCE_FIELDS,
  maxRetries: field(z.number().int().min(-1), 'an integer >= -1 (-1: unlimited)'),
  retryExceptions: field(z.boolean(), 'a boolean'),
  isolation: field(z.enum(['shared', 'process']), "'shared' or 'process'"),
};

export const TASK_OPTION_KEYS = Object.keys(FIELDS) as (keyof TaskOptions)[];

/** A task's options, checked, with every default filled in. */
export interface CheckedTaskOptions {
  /** What one run holds, as the head names resources (`CPU`, `GPU`, `memory`, custom ones). */
  resources: Record<string, number>;
  maxRetries: number;
  retryExceptions: boolean;
  isolation: 'shared' | 'process';
}

/**
 * Checks task options: unknown keys are listed with the valid ones; bad values name the rule.
 * @throws InvalidArgumentError naming the field.
 */
export function checkTaskOptions(options: unknown): CheckedTaskOptions {
  const opts = checkOptions<TaskOptions>(options, FIELDS, { what: 'task' });
  const gpus = opts.numGpus ?? 0;
  if (opts.isolation === 'shared' && gpus > 0) {
    throw new InvalidArgumentError(
      "isolation must be 'process' for a task with numGpus > 0 (GPU tasks need executor processes of their own)",
      { context: { field: 'isolation' } },
    );
  }
  const resources = resourceRequest({
    numCpus: opts.numCpus ?? TASK_DEFAULTS.numCpus,
    numGpus: opts.numGpus,
    memory: opts.memory,
    resources: opts.resources,
  });
  return {
    resources,
    maxRetries: opts.maxRetries ?? TASK_DEFAULTS.maxRetries,
    retryExceptions: opts.retryExceptions ?? TASK_DEFAULTS.retryExceptions,
    isolation: opts.isolation ?? (gpus > 0 ? 'process' : 'shared'),
  };
}

/** Options merged as Ray's `f.options(...)`: the later bag's keys win. */
export function mergeTaskOptions(base: TaskOptions | undefined, more: TaskOptions | undefined): TaskOptions {
  return { ...(base ?? {}), ...(more ?? {}) };
}

/** The key of the executor pool that runs tasks of these options: one pool per resource shape and isolation. */
export function poolKey(opts: CheckedTaskOptions): string {
  const shape = Object.entries(opts.resources).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${opts.isolation}:${JSON.stringify(shape)}`;
}

/** Spawn options of an executor: the task's resources, one run at a time, never restarted (the pool replaces it). */
export function executorActorOptions(opts: CheckedTaskOptions): ActorOptions {
  const { CPU, GPU, memory, ...custom } = opts.resources;
  return {
    numCpus: CPU ?? 0,
    ...(GPU ? { numGpus: GPU } : {}),
    ...(memory ? { memory } : {}),
    ...(Object.keys(custom).length ? { resources: custom } : {}),
    isolation: opts.isolation,
    maxConcurrency: 1,
  };
}
