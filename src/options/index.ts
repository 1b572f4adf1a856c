/**
 * The options component's door: the one validation helper over zod and the actor-spec table with
 * its defaults. Apart from common so that processes that validate nothing (actor hosts) never load zod.
 */
export { checkOptions, checkValue, field, fieldError, fieldPath } from './validate.js';
export type { Field, Fields } from './validate.js';
export {
  ACTOR_DEFAULTS,
  ACTOR_OPTION_KEYS,
  DEFAULT_NAMESPACE,
  LIFETIME_FIELD,
  NAMESPACE_FIELD,
  NAME_FIELD,
  checkActorOptions,
  checkWireActorSpec,
  resourceRequest,
  toWireActorSpec,
  RESOURCE_FIELDS,
} from './actor-spec.js';
export type { ActorOptions, CheckedActorSpec, SpecPolicy, WireActorSpec } from './actor-spec.js';
export { checkExecArgv, type ExecArgvPolicy } from './exec-argv.js';
export {
  MAX_ENV_VALUE_LENGTH,
  MAX_ENV_VARS,
  MAX_RESOURCE_NAMES,
  checkEnv,
  checkOwnerId,
  checkResourceNames,
  isOwnerId,
} from './spec-bounds.js';
