import { z } from 'zod';
import { InvalidArgumentError } from '../common/errors.js';

/** Options of `ActorClass.spawn`. All optional; the defaults are given on each. */
export interface ActorOptions {
  /** CPUs reserved for the actor while it lives. Default 0 (as Ray's actors hold 0 CPUs once running), so light actors never starve the node. */
  numCpus?: number;
  /** GPUs: a whole number, or a fraction below 1 to share one device. Default 0. The actor's process sees only its GPUs through CUDA_VISIBLE_DEVICES. */
  numGpus?: number;
  /** Memory reserved, in bytes. Default 0. */
  memory?: number;
  /** Custom resources, e.g. `{ ssd: 1 }`. */
  resources?: Record<string, number>;
  /** Calls that may run at once (async methods overlap up to this). Default 1: calls run one by one, in order. */
  maxConcurrency?: number;
  /** A name, unique within its namespace, so other drivers can find the actor with `getActor`. */
  name?: string;
  /** Namespace of the name. Default: the cluster handle's namespace (`'default'`). */
  namespace?: string;
  /** `'process'` (default): a process of its own. `'shared'`: lives with other light actors in one process; not for GPU actors. */
  isolation?: 'process' | 'shared';
  /** `'DEFAULT'` packs nodes up to half full, then spreads; `'SPREAD'` spreads. */
  schedulingStrategy?: 'DEFAULT' | 'SPREAD';
  /** Run on this node; `soft: true` falls back to other nodes when it cannot take the actor. */
  nodeAffinity?: { nodeId: string; soft?: boolean };
  /** `'detached'`: the actor outlives the driver that created it. */
  lifetime?: 'detached';
  /** Restarts after the actor's process dies. Default 0; -1 is unlimited. */
  maxRestarts?: number;
  /** Retries of a call that failed because the actor died. Default 0 (at-most-once); -1 is unlimited. */
  maxTaskRetries?: number;
  /** Extra environment variables for the actor's process. */
  env?: Record<string, string>;
  /** Run inside this placement group (a handle from `cluster.placementGroup`, or its id), on its bundle's resources. */
  placementGroup?: { readonly id: string } | string;
  /** Which bundle of `placementGroup`; default -1, any bundle with room. */
  bundleIndex?: number;
}

interface Rule {
  schema: z.ZodType;
  rule: string;
}

const nonNegative = z.number().finite().min(0);
const RULES: Record<keyof ActorOptions, Rule> = {
  numCpus: { schema: nonNegative, rule: 'a finite number >= 0' },
  numGpus: {
    schema: nonNegative.refine((n) => n <= 1 || Number.isInteger(n)),
    rule: 'a number >= 0, whole when above 1 (fractions share one GPU)',
  },
  memory: { schema: nonNegative, rule: 'a number of bytes >= 0' },
  resources: {
    schema: z.record(z.string().min(1), nonNegative),
    rule: 'an object of resource names to numbers >= 0',
  },
  maxConcurrency: { schema: z.number().int().min(1).max(100_000), rule: 'an integer from 1 to 100000' },
  name: { schema: z.string().regex(/^[\w.\-:/@]{1,200}$/), rule: 'a string of 1-200 letters, digits and _ . - : / @' },
  namespace: { schema: z.string().regex(/^[\w.\-:/@]{1,200}$/), rule: 'a string of 1-200 letters, digits and _ . - : / @' },
  isolation: { schema: z.enum(['process', 'shared']), rule: "'process' or 'shared'" },
  schedulingStrategy: { schema: z.enum(['DEFAULT', 'SPREAD']), rule: "'DEFAULT' or 'SPREAD'" },
  nodeAffinity: {
    schema: z.strictObject({ nodeId: z.string().min(1), soft: z.boolean().optional() }),
    rule: '{ nodeId: string, soft?: boolean }',
  },
  lifetime: { schema: z.literal('detached'), rule: "'detached'" },
  maxRestarts: { schema: z.number().int().min(-1), rule: 'an integer >= -1' },
  maxTaskRetries: { schema: z.number().int().min(-1), rule: 'an integer >= -1' },
  env: { schema: z.record(z.string().min(1), z.string()), rule: 'an object of string values' },
  placementGroup: {
    schema: z.union([z.string().min(1), z.object({ id: z.string().min(1) })]),
    rule: 'a placement group (from cluster.placementGroup) or its id',
  },
  bundleIndex: { schema: z.number().int().min(-1), rule: 'an integer >= -1 (-1: any bundle)' },
};

export const ACTOR_OPTION_KEYS = Object.keys(RULES) as (keyof ActorOptions)[];

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/** Validates spawn options: unknown keys are listed with the valid ones; bad values name the rule. */
export function validateActorOptions(options: unknown): ActorOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`actor options must be an object, got ${show(options)}`, { context: { field: 'options' } });
  }
  const entries = Object.entries(options as Record<string, unknown>);
  const unknown = entries.map(([k]) => k).filter((k) => !(k in RULES));
  if (unknown.length) {
    throw new InvalidArgumentError(
      `unknown actor option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; valid options are: ${ACTOR_OPTION_KEYS.join(', ')}`,
      { context: { field: unknown[0] } },
    );
  }
  for (const [key, value] of entries) {
    if (value === undefined) continue;
    const { schema, rule } = RULES[key as keyof ActorOptions];
    if (!schema.safeParse(value).success) {
      throw new InvalidArgumentError(`${key} must be ${rule}, got ${show(value)}`, { context: { field: key } });
    }
  }
  const opts = options as ActorOptions;
  if (opts.bundleIndex !== undefined && opts.bundleIndex !== -1 && opts.placementGroup === undefined) {
    throw new InvalidArgumentError('bundleIndex needs placementGroup', { context: { field: 'bundleIndex' } });
  }
  if (opts.placementGroup !== undefined && (opts.nodeAffinity || opts.schedulingStrategy === 'SPREAD')) {
    throw new InvalidArgumentError('placementGroup cannot be combined with nodeAffinity or schedulingStrategy: the group decides where its bundles are', {
      context: { field: 'placementGroup' },
    });
  }
  if (opts.isolation === 'shared' && (opts.numGpus ?? 0) > 0) {
    throw new InvalidArgumentError("isolation must be 'process' for an actor with numGpus > 0 (GPU actors need a process of their own)", { context: { field: 'isolation' } });
  }
  return opts;
}

/** The `resources` map sent to the head for these options. */
export function resourceRequest(opts: ActorOptions): Record<string, number> {
  const r: Record<string, number> = { ...(opts.resources ?? {}) };
  for (const reserved of ['CPU', 'GPU', 'memory']) {
    if (reserved in r) {
      throw new InvalidArgumentError(`resources.${reserved} is set through ${reserved === 'CPU' ? 'numCpus' : reserved === 'GPU' ? 'numGpus' : 'memory'}, not resources`, {
        context: { field: `resources.${reserved}` },
      });
    }
  }
  if (opts.numCpus) r.CPU = opts.numCpus;
  if (opts.numGpus) r.GPU = opts.numGpus;
  if (opts.memory) r.memory = opts.memory;
  return r;
}
