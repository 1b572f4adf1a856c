/**
 * The actor spec: spawn options, their rules and their defaults, in one place below both sides.
 * The client checks options with it before sending; the head checks every spec it receives from the
 * wire with the same table, so the head never accepts what the client refuses.
 */
import type { ActorSpec__Output } from '../generated/troupe/v1/ActorSpec.js';
import { z } from 'zod';
import { InvalidArgumentError } from '../common/index.js';
import { checkOptions, checkValue, field, type Fields } from './validate.js';
import { checkExecArgv, type ExecArgvPolicy } from './exec-argv.js';
import { checkEnv, checkOwnerId, checkResourceNames } from './spec-bounds.js';

/** Options of `ActorClass.spawn`. All optional; the defaults are given on each. */
export interface ActorOptions {
  /**
   * CPUs reserved for the actor while it lives. Default 0 (as Ray's actors hold 0 CPUs once running),
   * so light actors never starve the node.
   */
  numCpus?: number;
  /**
   * GPUs: a whole number, or a fraction below 1 to share one device. Default 0. The actor's process
   * sees only its GPUs through CUDA_VISIBLE_DEVICES.
   */
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
  /**
   * `'process'` (default): a process of its own. `'shared'`: lives with other light actors in one
   * process; not for GPU actors.
   */
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

/** Namespace of names (actors, placement groups) when none is given. */
export const DEFAULT_NAMESPACE = 'default';

/** The defaults of the actor spec: what an option left out means, on the client and on the head. */
export const ACTOR_DEFAULTS = {
  namespace: DEFAULT_NAMESPACE,
  maxConcurrency: 1,
  isolation: 'process',
  schedulingStrategy: 'DEFAULT',
  maxRestarts: 0,
  maxTaskRetries: 0,
  bundleIndex: -1,
} as const satisfies Partial<ActorOptions>;

const nonNegative = z.number().finite().min(0);
const NAME = /^[\w.\-:/@]{1,200}$/;
const NAME_RULE = 'a string of 1-200 letters, digits and _ . - : / @';

/** Names of actors and placement groups. */
export const NAME_FIELD = field(z.string().regex(NAME), NAME_RULE);
/** Namespaces of actors and placement groups, and the namespace of a cluster handle. */
export const NAMESPACE_FIELD = field(z.string().regex(NAME), NAME_RULE);
/** `lifetime` of actors and placement groups. */
export const LIFETIME_FIELD = field(z.literal('detached'), "'detached'");

// The order is the order of the checks: a spec with several bad fields is refused for the first.
const FIELDS: Fields<ActorOptions> = {
  numCpus: field(nonNegative, 'a finite number >= 0'),
  numGpus: field(
    nonNegative.refine((n) => n <= 1 || Number.isInteger(n)),
    'a number >= 0, whole when above 1 (fractions share one GPU)',
  ),
  memory: field(nonNegative, 'a number of bytes >= 0'),
  resources: field(z.record(z.string().min(1), nonNegative), 'an object of resource names to numbers >= 0'),
  name: NAME_FIELD,
  namespace: NAMESPACE_FIELD,
  isolation: field(z.enum(['process', 'shared']), "'process' or 'shared'"),
  schedulingStrategy: field(z.enum(['DEFAULT', 'SPREAD']), "'DEFAULT' or 'SPREAD'"),
  nodeAffinity: field(
    z.strictObject({ nodeId: z.string().min(1), soft: z.boolean().optional() }),
    '{ nodeId: string, soft?: boolean }',
  ),
  lifetime: LIFETIME_FIELD,
  maxConcurrency: field(z.number().int().min(1).max(100_000), 'an integer from 1 to 100000'),
  maxRestarts: field(z.number().int().min(-1), 'an integer >= -1'),
  maxTaskRetries: field(z.number().int().min(-1), 'an integer >= -1'),
  env: field(z.record(z.string().min(1), z.string()), 'an object of string values'),
  placementGroup: field(
    z.union([z.string().min(1), z.object({ id: z.string().min(1) })]),
    'a placement group (from cluster.placementGroup) or its id',
  ),
  bundleIndex: field(z.number().int().min(-1), 'an integer >= -1 (-1: any bundle)'),
};

/** The rule of every spawn option, by name. */
export const ACTOR_OPTION_FIELDS = FIELDS;

export const ACTOR_OPTION_KEYS = Object.keys(FIELDS) as (keyof ActorOptions)[];

/** Rules between options, shared by both sides. `gpus` is what the actor asks of GPUs. */
function checkCombinations(opts: ActorOptions, gpus: number): void {
  if (opts.bundleIndex !== undefined && opts.bundleIndex !== -1 && opts.placementGroup === undefined) {
    throw new InvalidArgumentError('bundleIndex needs placementGroup', { context: { field: 'bundleIndex' } });
  }
  if (opts.placementGroup !== undefined && (opts.nodeAffinity || opts.schedulingStrategy === 'SPREAD')) {
    throw new InvalidArgumentError(
      'placementGroup cannot be combined with nodeAffinity or schedulingStrategy: ' +
        'the group decides where its bundles are',
      { context: { field: 'placementGroup' } },
    );
  }
  if (opts.isolation === 'shared' && gpus > 0) {
    throw new InvalidArgumentError(
      "isolation must be 'process' for an actor with numGpus > 0 (GPU actors need a process of their own)",
      { context: { field: 'isolation' } },
    );
  }
}

/** Checks spawn options: unknown keys are listed with the valid ones; bad values name the rule. */
export function checkActorOptions(options: unknown): ActorOptions {
  const opts = checkOptions<ActorOptions>(options, FIELDS, { what: 'actor' });
  if (opts.resources) checkResourceNames(opts.resources, 'resources');
  if (opts.env) checkEnv(opts.env);
  checkCombinations(opts, opts.numGpus ?? 0);
  return opts;
}

/** What the head accepts beyond the table: its execArgv policy, and the runtime's own variables. */
export interface SpecPolicy extends ExecArgvPolicy {
  /** Reserved environment variables the caller sets as the runtime (the head's job supervisor spec). */
  runtimeEnv?: readonly string[];
}

/** The `resources` map sent to the head for these options. */
export function resourceRequest(opts: ActorOptions): Record<string, number> {
  const r: Record<string, number> = { ...(opts.resources ?? {}) };
  const through = { CPU: 'numCpus', GPU: 'numGpus', memory: 'memory' } as const;
  for (const [reserved, option] of Object.entries(through)) {
    if (reserved in r) {
      throw new InvalidArgumentError(`resources.${reserved} is set through ${option}, not resources`, {
        context: { field: `resources.${reserved}` },
      });
    }
  }
  if (opts.numCpus) r.CPU = opts.numCpus;
  if (opts.numGpus) r.GPU = opts.numGpus;
  if (opts.memory) r.memory = opts.memory;
  return r;
}

/** An ActorSpec as it travels (proto-loader objects: every field present, '' and 0 when unset). */
/** An actor spec as it travels (troupe.v1.ActorSpec, every field present as the head decodes it). */
export type WireActorSpec = ActorSpec__Output;

/** What the client adds to the options to make a spec. */
export interface SpecParts {
  module: string;
  exportName: string;
  args: Buffer;
  /** From `resourceRequest(options)`. */
  resources: Record<string, number>;
  /** The cluster handle's namespace, used when the options name none. */
  namespace: string;
  execArgv: string[];
  /** The job of the process that spawns the actor ('' outside a job). */
  jobId?: string;
}

/** The spec the client sends for checked options, every default filled in from ACTOR_DEFAULTS. */
export function toWireActorSpec(options: ActorOptions, parts: SpecParts): WireActorSpec {
  const pg = options.placementGroup;
  return {
    module: parts.module,
    exportName: parts.exportName,
    args: parts.args,
    resources: { amounts: parts.resources },
    name: options.name ?? '',
    namespace: options.namespace ?? parts.namespace,
    maxConcurrency: options.maxConcurrency ?? ACTOR_DEFAULTS.maxConcurrency,
    isolation: options.isolation ?? ACTOR_DEFAULTS.isolation,
    schedulingStrategy: options.schedulingStrategy ?? ACTOR_DEFAULTS.schedulingStrategy,
    nodeAffinity: options.nodeAffinity
      ? { nodeId: options.nodeAffinity.nodeId, soft: options.nodeAffinity.soft ?? false }
      : null,
    lifetime: options.lifetime ?? '',
    maxRestarts: options.maxRestarts ?? ACTOR_DEFAULTS.maxRestarts,
    maxTaskRetries: options.maxTaskRetries ?? ACTOR_DEFAULTS.maxTaskRetries,
    env: options.env ?? {},
    execArgv: parts.execArgv,
    placementGroupId: typeof pg === 'string' ? pg : (pg?.id ?? ''),
    bundleIndex: options.bundleIndex ?? ACTOR_DEFAULTS.bundleIndex,
    jobId: parts.jobId ?? '',
  };
}

/** A spec the head accepted: defaults filled in, `resources` as the head's check returned them. */
export interface CheckedActorSpec
  extends Omit<WireActorSpec, 'resources' | 'nodeAffinity' | 'isolation' | 'schedulingStrategy'> {
  resources: Record<string, number>;
  isolation: 'process' | 'shared';
  schedulingStrategy: 'DEFAULT' | 'SPREAD';
  nodeAffinity: { nodeId: string; soft: boolean } | undefined;
}

const WIRE_KEYS: ReadonlyArray<keyof WireActorSpec> = [
  'module',
  'exportName',
  'args',
  'resources',
  'name',
  'namespace',
  'maxConcurrency',
  'isolation',
  'schedulingStrategy',
  'nodeAffinity',
  'lifetime',
  'maxRestarts',
  'maxTaskRetries',
  'env',
  'execArgv',
  'placementGroupId',
  'bundleIndex',
  'jobId',
];

const EXEC_ARGV = field(z.array(z.string()), 'an array of strings');

const required = (f: string, what: string): InvalidArgumentError =>
  new InvalidArgumentError(`${f} is required (${what})`, { context: { field: f } });

/**
 * Checks a spec as it comes off the wire with the same rules as the client's options. On the wire
 * '' and 0 mean "not set" (proto3 cannot tell them apart), so '' takes the default and bundle 0
 * without a group is the unset value; everything else must pass the option's rule.
 * @param checkResources the head's check of the resource map (it normalises amounts too).
 * @param policy which execArgv flags this head accepts (see exec-argv.ts).
 */
export function checkWireActorSpec(
  spec: WireActorSpec | null | undefined,
  checkResources: (amounts: unknown) => Record<string, number>,
  policy: SpecPolicy = {},
): CheckedActorSpec {
  if (!spec) throw new InvalidArgumentError('spec is required', { context: { field: 'spec' } });
  const unknown = Object.keys(spec).filter((k) => !(WIRE_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    const valid = WIRE_KEYS.join(', ');
    throw new InvalidArgumentError(`unknown actor spec field '${unknown[0]}'; valid fields are: ${valid}`, {
      context: { field: unknown[0] },
    });
  }
  if (!spec.module || typeof spec.module !== 'string') {
    throw required('spec.module', 'a file URL, path or package name');
  }
  if (!spec.exportName || typeof spec.exportName !== 'string') {
    throw required('spec.exportName', 'the name of the exported class');
  }
  if (spec.jobId) checkOwnerId(spec.jobId, 'spec.job_id');
  if (spec.execArgv !== undefined) checkExecArgv(checkValue('execArgv', spec.execArgv, EXEC_ARGV), policy);
  const resources = checkResources(spec.resources?.amounts ?? {});
  const pg = spec.placementGroupId || undefined;
  const opts: ActorOptions = {
    name: spec.name || undefined,
    namespace: spec.namespace || undefined,
    isolation: (spec.isolation || undefined) as ActorOptions['isolation'],
    schedulingStrategy: (spec.schedulingStrategy || undefined) as ActorOptions['schedulingStrategy'],
    nodeAffinity: spec.nodeAffinity ?? undefined,
    lifetime: (spec.lifetime || undefined) as ActorOptions['lifetime'],
    maxConcurrency: spec.maxConcurrency ?? ACTOR_DEFAULTS.maxConcurrency,
    maxRestarts: spec.maxRestarts ?? ACTOR_DEFAULTS.maxRestarts,
    maxTaskRetries: spec.maxTaskRetries ?? ACTOR_DEFAULTS.maxTaskRetries,
    env: spec.env ?? {},
    placementGroup: pg,
    bundleIndex: pg === undefined && !spec.bundleIndex ? undefined : spec.bundleIndex,
  };
  checkOptions<ActorOptions>(opts, FIELDS, { what: 'actor' });
  checkEnv(opts.env!, policy.runtimeEnv);
  checkCombinations(opts, resources.GPU ?? 0);
  return {
    ...spec,
    resources,
    name: spec.name ?? '',
    namespace: opts.namespace ?? ACTOR_DEFAULTS.namespace,
    maxConcurrency: opts.maxConcurrency!,
    isolation: opts.isolation ?? ACTOR_DEFAULTS.isolation,
    schedulingStrategy: opts.schedulingStrategy ?? ACTOR_DEFAULTS.schedulingStrategy,
    nodeAffinity: spec.nodeAffinity
      ? { nodeId: spec.nodeAffinity.nodeId, soft: spec.nodeAffinity.soft ?? false }
      : undefined,
    lifetime: spec.lifetime ?? '',
    maxRestarts: opts.maxRestarts!,
    maxTaskRetries: opts.maxTaskRetries!,
    env: opts.env!,
    execArgv: spec.execArgv ?? [],
    placementGroupId: spec.placementGroupId ?? '',
    bundleIndex: spec.bundleIndex ?? ACTOR_DEFAULTS.bundleIndex,
    jobId: spec.jobId ?? '',
  };
}
