/** The common component's door: what other components may import. */
export * from './errors.js';
export { checkOptions, checkValue, field, fieldError, fieldPath } from './validate.js';
export type { Field, Fields } from './validate.js';
export { configureLogging, flushLogs, logger } from './logger.js';
export type { Logger } from './logger.js';
export { latestSession, newSession, readIfExists, troupeRoot } from './session.js';
export type { SessionPaths } from './session.js';
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
} from './actor-spec.js';
export type { ActorOptions, CheckedActorSpec, WireActorSpec } from './actor-spec.js';
export { normalizeModule, toImportable } from './module-specifier.js';
export { withTimeout } from './timeout.js';
