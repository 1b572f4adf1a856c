/** Spawn options on the client: the shared actor-spec table, checked before anything is sent. */
import { checkActorOptions, type ActorOptions } from '../options/index.js';

export { ACTOR_OPTION_KEYS, resourceRequest, type ActorOptions } from '../options/index.js';

/** Validates spawn options: unknown keys are listed with the valid ones; bad values name the rule. */
export function validateActorOptions(options: unknown): ActorOptions {
  return checkActorOptions(options);
}
