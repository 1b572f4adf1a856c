/**
 * The one way Troupe checks what it is handed (option bags, requests off the wire, flags, rows):
 * a table of zod schemas, each with the rule it stands for in words. Unknown keys are refused with
 * the valid ones listed; a bad value gets a message that names the field and the rule
 * ("maxRestarts must be an integer >= -1, got 1.5") and an InvalidArgumentError with `context.field`.
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../common/index.js';

/** One field of a table: its schema, and its rule as it reads after "must be". */
export interface Field {
  readonly schema: z.ZodType;
  readonly rule: string;
}

/** A table with one Field per key of T (optional keys included). */
export type Fields<T> = { readonly [K in keyof Required<T>]: Field };

export const field = (schema: z.ZodType, rule: string): Field => ({ schema, rule });

/** How a value is shown in messages: strings in single quotes, everything else as JSON. */
export function showValue(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'function') return 'a function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** "`field` must be `rule`, got `value`", with the field in the context. */
export function fieldError(name: string, rule: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(`${name} must be ${rule}, got ${showValue(value)}`, { context: { field: name } });
}

/** "unknown `what` option 'a'; valid options are: …", naming the first unknown key as the field. */
export function unknownKeysError(
  what: string,
  unknown: readonly string[],
  valid: readonly string[],
): InvalidArgumentError {
  const s = unknown.length > 1 ? 's' : '';
  const listed = unknown.map((k) => `'${k}'`).join(', ');
  return new InvalidArgumentError(`unknown ${what} option${s} ${listed}; valid options are: ${valid.join(', ')}`, {
    context: { field: unknown[0] },
  });
}

/** A zod issue path as a field name: `workers[1].ssh.port`. */
export function fieldPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out ? `.${String(k)}` : String(k);
  return out;
}

export interface CheckOptions {
  /** Names the bag in messages: 'actor' gives "unknown actor option 'x'" and "actor options must be an object". */
  what: string;
  /** Put before the field name in value errors: 'SGD ' gives "SGD lr must be …". Default none. */
  prefix?: string;
  /** Keys that must be present (an absent one reads "… must be <rule>, got undefined"). */
  required?: readonly string[];
}

const SCHEMAS = new WeakMap<object, z.ZodType>();

/** The strict zod object schema of a table (built once per table): every key optional, no others. */
export function schemaOf(fields: Record<string, Field>): z.ZodType {
  let schema = SCHEMAS.get(fields);
  if (!schema) {
    schema = z.strictObject(Object.fromEntries(Object.entries(fields).map(([k, f]) => [k, f.schema.optional()])));
    SCHEMAS.set(fields, schema);
  }
  return schema;
}

/**
 * Checks an option bag against its table and returns it as T (the caller's own object, not a
 * copy: handles and class instances in it stay what they are). `undefined` is an empty bag.
 * Unknown keys are reported first, then the first bad value in the table's order.
 * @throws InvalidArgumentError naming the field and the rule.
 */
export function checkOptions<T extends object>(input: unknown, fields: Fields<T>, opts: CheckOptions): T {
  if (input === undefined) input = {};
  const table = fields as Record<string, Field>;
  const result = schemaOf(table).safeParse(input);
  if (result.success) {
    const missing = opts.required?.find((key) => (input as Record<string, unknown>)[key] === undefined);
    if (missing !== undefined) throw fieldError(`${opts.prefix ?? ''}${missing}`, table[missing]!.rule, undefined);
    return input as T;
  }
  const issues = result.error.issues;
  if (issues[0]!.path.length === 0 && issues[0]!.code === 'invalid_type') {
    throw new InvalidArgumentError(`${opts.what} options must be an object, got ${showValue(input)}`, {
      context: { field: 'options' },
    });
  }
  const unknown = issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : []));
  if (unknown.length) throw unknownKeysError(opts.what, unknown, Object.keys(table));
  const key = String(issues[0]!.path[0]);
  throw fieldError(`${opts.prefix ?? ''}${key}`, table[key]!.rule, (input as Record<string, unknown>)[key]);
}

/** Checks one value against one field; `name` is what the message calls it. */
export function checkValue<V>(name: string, value: unknown, f: Field): V {
  if (!f.schema.safeParse(value).success) throw fieldError(name, f.rule, value);
  return value as V;
}
