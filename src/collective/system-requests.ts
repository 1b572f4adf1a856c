/**
 * Runtime ("system") requests: calls the driver sends to an actor's process about the actor rather
 * than to one of its methods, on the same call stream, under a method name that starts with
 * `~troupe.`. On the wire their arguments are a msgpack array in a fixed order; here each is a
 * tagged variant with named fields, decoded and checked once where it arrives.
 */
import { InvalidArgumentError, MethodNotFoundError } from '../common/index.js';
import { decode } from '../objects/index.js';

/** Method names of runtime requests (not the actor's own methods) start with this. */
export const SYSTEM_PREFIX = '~troupe.';

/**
 * The largest collective group, checked before anything is allocated for one: an open of size
 * 1,000,000 grew an actor host from 84 to 985 MB in 2.4 s.
 */
export const MAX_GROUP_SIZE = 4096;
/** The longest wait for the members to connect (a day; setTimeout fires at once past 2^31 ms). */
export const MAX_CONNECT_TIMEOUT_MS = 86_400_000;
/** The longest backend name, rendezvous string and group token. */
const MAX_BACKEND_LENGTH = 64;
const MAX_RENDEZVOUS_LENGTH = 1024;
const MAX_TOKEN_LENGTH = 1024;

export type SystemRequest =
  /** Open this actor's endpoint of a collective group; answers the endpoint's rendezvous string. */
  | { type: 'collective.open'; name: string; rank: number; size: number; backend: string; token: string }
  /** Connect the opened endpoint to every member's rendezvous (rank order) and join the group. */
  | { type: 'collective.connect'; name: string; rendezvous: string[]; timeoutMs: number }
  /** Leave the group (or drop the endpoint being formed). */
  | { type: 'collective.close'; name: string };

export type SystemRequestType = SystemRequest['type'];

/** The wire order of each request's fields. */
const FIELDS = {
  'collective.open': ['name', 'rank', 'size', 'backend', 'token'],
  'collective.connect': ['name', 'rendezvous', 'timeoutMs'],
  'collective.close': ['name'],
} as const satisfies {
  [T in SystemRequestType]: ReadonlyArray<Exclude<keyof Extract<SystemRequest, { type: T }>, 'type'>>;
};

/** Whether a call's method names a runtime request (known or not) rather than an actor method. */
export function isSystemMethod(method: string): boolean {
  return method.startsWith(SYSTEM_PREFIX);
}

/** The method name and argument array a runtime request travels as. */
export function systemCall(req: SystemRequest): { method: string; args: unknown[] } {
  const fields: readonly string[] = FIELDS[req.type];
  return { method: SYSTEM_PREFIX + req.type, args: fields.map((f) => (req as unknown as Record<string, unknown>)[f]) };
}

/**
 * Decodes and checks a runtime request as it came off the wire.
 * @throws MethodNotFoundError for a method that is no runtime request; InvalidArgumentError naming
 *   the request and the field for arguments of the wrong number or shape; SerializationError for
 *   bytes that are not msgpack.
 */
export function decodeSystemRequest(method: string, args: Uint8Array, actorId: string): SystemRequest {
  const type = method.slice(SYSTEM_PREFIX.length);
  if (!method.startsWith(SYSTEM_PREFIX) || !Object.hasOwn(FIELDS, type)) {
    throw new MethodNotFoundError(`unknown runtime request ${method}; known: ${Object.keys(FIELDS).join(', ')}`, {
      context: { actorId, method },
    });
  }
  const t = type as SystemRequestType;
  const values = decode<unknown>(args, `the arguments of ${method}`);
  const fields: readonly string[] = FIELDS[t];
  const bad = (field: string, rule: string, got: unknown): InvalidArgumentError =>
    new InvalidArgumentError(`malformed runtime request ${method}: ${field} must be ${rule}, got ${describe(got)}`, {
      context: { actorId, method, field },
    });
  if (!Array.isArray(values) || values.length !== fields.length) {
    throw bad('args', `an array of ${fields.length} [${fields.join(', ')}]`, values);
  }
  const v = Object.fromEntries(fields.map((f, i) => [f, values[i]])) as Record<string, unknown>;
  const name = groupName(v.name, bad);
  switch (t) {
    case 'collective.open': {
      const size = v.size;
      if (!Number.isSafeInteger(size) || (size as number) < 1) throw bad('size', 'an integer >= 1', size);
      if ((size as number) > MAX_GROUP_SIZE) throw bad('size', `at most ${MAX_GROUP_SIZE} (the largest group)`, size);
      const rank = v.rank;
      if (!Number.isSafeInteger(rank) || (rank as number) < 0 || (rank as number) >= (size as number)) {
        throw bad('rank', `an integer in [0, ${size as number})`, rank);
      }
      const backend = nonEmpty(v.backend, 'backend', bad, MAX_BACKEND_LENGTH);
      const token = nonEmpty(v.token, 'token', bad, MAX_TOKEN_LENGTH);
      return { type: t, name, rank: rank as number, size: size as number, backend, token };
    }
    case 'collective.connect': {
      const rendezvous = v.rendezvous;
      if (!Array.isArray(rendezvous) || rendezvous.length === 0) {
        throw bad('rendezvous', 'a non-empty array of strings', rendezvous);
      }
      if (rendezvous.length > MAX_GROUP_SIZE) {
        throw bad('rendezvous', `at most ${MAX_GROUP_SIZE} strings (the largest group)`, rendezvous);
      }
      const i = rendezvous.findIndex((r) => typeof r !== 'string');
      if (i >= 0) throw bad(`rendezvous[${i}]`, 'a string', rendezvous[i]);
      const long = rendezvous.findIndex((r) => (r as string).length > MAX_RENDEZVOUS_LENGTH);
      if (long >= 0) throw bad(`rendezvous[${long}]`, `at most ${MAX_RENDEZVOUS_LENGTH} characters`, rendezvous[long]);
      const timeoutMs = v.timeoutMs;
      if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw bad('timeoutMs', 'a number > 0', timeoutMs);
      if (timeoutMs > MAX_CONNECT_TIMEOUT_MS) {
        throw bad('timeoutMs', `at most ${MAX_CONNECT_TIMEOUT_MS} (a day)`, timeoutMs);
      }
      return { type: t, name, rendezvous: rendezvous as string[], timeoutMs };
    }
    case 'collective.close':
      return { type: t, name };
  }
}

type Bad = (field: string, rule: string, got: unknown) => InvalidArgumentError;

/** The same rule the driver applies to a group name. */
function groupName(v: unknown, bad: Bad): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) {
    throw bad('name', 'a string of 1 to 200 characters', v);
  }
  return v;
}

function nonEmpty(v: unknown, field: string, bad: Bad, max: number): string {
  if (typeof v !== 'string' || v.length === 0) throw bad(field, 'a non-empty string', v);
  if (v.length > max) throw bad(field, `at most ${max} characters`, v);
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}… (${v.length} characters)` : v);
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (v === null || typeof v !== 'object') return String(v);
  return 'an object';
}
