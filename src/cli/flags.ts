/** Parsers of flag values, over the shared zod helper: each names the flag and the rule it broke. */
import { z } from 'zod';
import { InvalidArgumentError } from '../common/index.js';
import { checkValue, field, fieldError } from '../options/index.js';

/** Parses a flag value as a number ≥ min, naming the flag when it is not. */
export function numberFlag(flag: string, min = 0, integer = false) {
  const rule = field(
    (integer ? z.number().int() : z.number()).min(min),
    `${integer ? 'an integer' : 'a number'} >= ${min}`,
  );
  return (raw: string): number => {
    if (raw.trim() === '') throw fieldError(flag, rule.rule, raw);
    const n = Number(raw);
    if (!rule.schema.safeParse(n).success) throw fieldError(flag, rule.rule, raw);
    return n;
  };
}

const RESOURCES = z.record(z.string(), z.unknown());
const AMOUNT = field(z.number().min(0), 'a number >= 0');

/** `--resources '{"ssd": 2}'`: a JSON object of names to numbers ≥ 0. */
export function resourcesFlag(raw: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(
      `--resources must be a JSON object such as '{"ssd": 2}': ${(err as Error).message}`,
      { context: { field: '--resources' } },
    );
  }
  if (!RESOURCES.safeParse(parsed).success) {
    throw new InvalidArgumentError(`--resources must be a JSON object such as '{"ssd": 2}', got ${raw}`, {
      context: { field: '--resources' },
    });
  }
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (!AMOUNT.schema.safeParse(v).success) {
      throw new InvalidArgumentError(`--resources: '${k}' must be ${AMOUNT.rule}, got ${JSON.stringify(v)}`, {
        context: { field: `--resources.${k}` },
      });
    }
  }
  return parsed as Record<string, number>;
}

const ADDRESS = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/)
  .refine((a) => {
    const port = Number(a.slice(a.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  });

/** `host:port` with a port from 1 to 65535. */
export function addressFlag(flag: string) {
  const rule = field(ADDRESS, 'HOST:PORT');
  return (raw: string): string => checkValue<string>(flag, raw, rule);
}
