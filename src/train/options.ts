/** Table-driven option checks for the training library (the pattern of src/client/options.ts). */
import { z } from 'zod';
import { InvalidArgumentError } from '../common/errors.js';

export interface Rule {
  schema: z.ZodType;
  rule: string;
}

const show = (v: unknown): string => {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
};

/** Checks `options` against `rules`: unknown keys are listed with the valid ones, bad values name the rule. */
export function validate<T extends object>(what: string, options: unknown, rules: Record<keyof T, Rule>): T {
  if (options === undefined) return {} as T;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(`${what} options must be an object, got ${show(options)}`, { context: { field: 'options' } });
  }
  const valid = Object.keys(rules);
  for (const [key, value] of Object.entries(options)) {
    if (!(key in rules)) {
      throw new InvalidArgumentError(`unknown ${what} option '${key}'; valid options are: ${valid.join(', ')}`, {
        context: { field: key },
      });
    }
    if (value === undefined) continue;
    const { schema, rule } = rules[key as keyof T];
    if (!schema.safeParse(value).success) {
      throw new InvalidArgumentError(`${what} ${key} must be ${rule}, got ${show(value)}`, { context: { field: key } });
    }
  }
  return options as T;
}

export const nonNegative: Rule = { schema: z.number().finite().min(0), rule: 'a finite number >= 0' };
export const positive: Rule = { schema: z.number().finite().positive(), rule: 'a finite number > 0' };
export const unit: Rule = { schema: z.number().min(0).lt(1), rule: 'a number in [0, 1)' };
export const flag: Rule = { schema: z.boolean(), rule: 'a boolean' };
