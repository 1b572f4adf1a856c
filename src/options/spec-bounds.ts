/**
 * Bounds of what an actor spec may carry, on the client and the head alike: how many resource
 * names and how long, and which environment variables an actor's process may be given. A spec
 * from the wire is as big as its sender likes (a CreateActor with 600 resource names once had an
 * error reply too big to arrive), so every count and length has a bound here.
 */
import { InvalidArgumentError } from '../common/index.js';

/** Resource names one request (actor, bundle, node) may hold, and the longest name. */
export const MAX_RESOURCE_NAMES = 128;
export const MAX_RESOURCE_NAME_LENGTH = 128;

/** Environment variables one actor may be given, the longest value (Linux's limit on one string). */
export const MAX_ENV_VARS = 256;
export const MAX_ENV_VALUE_LENGTH = 128 * 1024;

// Control and format characters (\n, \0, U+202E …) have no place in a name shown in messages and logs.
const CONTROL = /\p{C}/u;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;
/**
 * Variables the runtime sets for an actor's process itself or keeps from it (credentials, the
 * session, the host's own settings) and NODE_OPTIONS (it loads code as execArgv does). Troupe's
 * tuning variables (TROUPE_NUM_THREADS, TROUPE_NCCL_DEVICE, TROUPE_LOG_LEVEL …) are the user's to set.
 */
const RESERVED_ENV = new Set([
  'TROUPE_TOKEN',
  'TROUPE_JOB_TOKEN',
  'TROUPE_REDIS_PASSWORD',
  'TROUPE_ADDRESS',
  'TROUPE_JOB_ID',
  'TROUPE_SESSION_DIR',
  'TROUPE_STATE',
  'TROUPE_BIND_HOST',
  'TROUPE_MAX_MESSAGE_BYTES',
  'TROUPE_LOG_FILE',
  'NODE_OPTIONS',
]);

/** Owner ids (a driver's, a job's) that records keep: as the client makes them, bounded. */
const OWNER_ID = /^[\w.\-:/@]{1,200}$/;

const bad = (field: string, message: string): InvalidArgumentError =>
  new InvalidArgumentError(message, { context: { field } });

/**
 * Checks the names of a resource map: at most MAX_RESOURCE_NAMES, each 1 to 128 characters
 * without control characters. Amounts are checked by the caller.
 * @param field what messages call the map ('resources', 'bundles[0]').
 */
export function checkResourceNames(resources: object, field: string): void {
  const names = Object.keys(resources);
  if (names.length > MAX_RESOURCE_NAMES) {
    throw bad(field, `${field} must hold at most ${MAX_RESOURCE_NAMES} resource names, got ${names.length}`);
  }
  for (const name of names) {
    if (name.length > MAX_RESOURCE_NAME_LENGTH || CONTROL.test(name)) {
      const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
      throw bad(
        field,
        `${field} has the resource name ${shown} (${name.length} characters): a resource name must be ` +
          `1-${MAX_RESOURCE_NAME_LENGTH} characters without control characters`,
      );
    }
  }
}

/**
 * Checks an actor's environment variables (already known to be a map of strings): at most 256,
 * portable names (letters, digits and _, not starting with a digit) that the runtime does not set
 * itself (RESERVED_ENV: the token, the session, NODE_OPTIONS …), values of at most 128 KiB without NUL.
 * @param runtimeEnv reserved names the caller is the runtime for (the head's own job supervisor spec).
 */
export function checkEnv(env: Record<string, string>, runtimeEnv: readonly string[] = []): void {
  const names = Object.keys(env);
  if (names.length > MAX_ENV_VARS) {
    throw bad('env', `env must hold at most ${MAX_ENV_VARS} variables, got ${names.length}`);
  }
  for (const name of names) {
    const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
    if (!ENV_NAME.test(name)) {
      throw bad('env', `env names must be 1-256 letters, digits and _, not starting with a digit, got ${shown}`);
    }
    if (RESERVED_ENV.has(name) && !runtimeEnv.includes(name)) {
      throw bad(
        `env.${name}`,
        `env.${name} is set by Troupe itself and cannot be given (its credentials, session and host settings, and NODE_OPTIONS, are reserved; ` +
          'loader flags belong in execArgv)',
      );
    }
    const value = env[name]!;
    if (value.length > MAX_ENV_VALUE_LENGTH) {
      throw bad(`env.${name}`, `env.${name} must be at most ${MAX_ENV_VALUE_LENGTH} characters, got ${value.length}`);
    }
    if (value.includes('\0')) throw bad(`env.${name}`, `env.${name} must not hold a NUL character`);
  }
}

/** Whether `v` is an owner id as clients make them (see checkOwnerId). */
export const isOwnerId = (v: string): boolean => OWNER_ID.test(v);

/**
 * Checks the owner id a request names (kept in every record it creates, so bounded): 1-200
 * letters, digits and _ . - : / @. '' (no owner) is the caller's to allow or not.
 */
export function checkOwnerId(ownerId: string, field = 'owner_id'): void {
  if (!isOwnerId(ownerId)) {
    const shown = JSON.stringify(ownerId.length > 40 ? `${ownerId.slice(0, 40)}…` : ownerId);
    throw bad(
      field,
      `${field} must be 1-200 letters, digits and _ . - : / @, got ${shown} (${ownerId.length} characters)`,
    );
  }
}
