import { InvalidArgumentError } from '../common/errors.js';

/** Parses a flag value as a number ≥ min, naming the flag when it is not. */
export function numberFlag(flag: string, min = 0, integer = false) {
  return (raw: string): number => {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got '${raw}'`, { context: { field: flag } });
    }
    return n;
  };
}

/** `--resources '{"ssd": 2}'`: a JSON object of names to numbers ≥ 0. */
export function resourcesFlag(raw: string): Record<string, number> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new InvalidArgumentError(`--resources must be a JSON object such as '{"ssd": 2}': ${(err as Error).message}`, { context: { field: '--resources' } });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`--resources must be a JSON object such as '{"ssd": 2}', got ${raw}`, { context: { field: '--resources' } });
  }
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidArgumentError(`--resources: '${k}' must be a number >= 0, got ${JSON.stringify(v)}`, { context: { field: `--resources.${k}` } });
    }
  }
  return parsed as Record<string, number>;
}

/** `host:port` with a port from 1 to 65535. */
export function addressFlag(flag: string) {
  return (raw: string): string => {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(raw);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw new InvalidArgumentError(`${flag} must be HOST:PORT, got '${raw}'`, { context: { field: flag } });
    }
    return raw;
  };
}
