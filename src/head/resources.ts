/**
 * Resource maps ('CPU', 'GPU', 'memory' in bytes, any custom name) and their fixed-point form.
 * Amounts are kept internally as integers of 1/10000 unit, as Ray does, so that ten requests of
 * 0.1 CPU add up to exactly 1 CPU and a node never looks over- or under-committed by drift.
 */
import { InvalidArgumentError } from '../common/index.js';
import { checkResourceNames } from '../options/index.js';

/** Resource name → amount. 'memory' is in bytes; fractional amounts are allowed. */
export type ResourceMap = Record<string, number>;

/** Resource amounts in fixed-point units (see {@link toFixed}); only positive entries. */
export type FixedMap = Map<string, number>;

/** Fixed-point units per whole unit of a resource (Ray's precision: 4 decimal places). */
export const UNITS = 10_000;

// memory is whole bytes already; scaling it by 10000 would pass 2^53 for nodes above ~838 GiB.
const MEMORY = 'memory';
const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
// Well-known names first in messages, then custom ones alphabetically.
const ORDER = ['CPU', 'GPU', MEMORY];

/** Fixed-point units per whole unit of `name` (1 for memory, which is counted in bytes). */
export function unitsOf(name: string): number {
  return name === MEMORY ? 1 : UNITS;
}

/** Converts a plain amount to fixed-point units, rounding to the nearest unit. */
export function toFixed(name: string, amount: number): number {
  return Math.round(amount * unitsOf(name));
}

/** Converts fixed-point units back to a plain amount. */
export function fromFixed(name: string, units: number): number {
  return units / unitsOf(name);
}

/** Converts a (validated) ResourceMap to fixed point, dropping entries that round to zero. */
export function toFixedMap(r: ResourceMap): FixedMap {
  const out: FixedMap = new Map();
  for (const [name, amount] of Object.entries(r)) {
    const units = toFixed(name, amount);
    if (units > 0) out.set(name, units);
  }
  return out;
}

/** Converts a FixedMap back to a plain ResourceMap. */
export function fromFixedMap(m: FixedMap): ResourceMap {
  // fromEntries defines own properties, so a name like '__proto__' cannot touch the prototype.
  return Object.fromEntries([...m].map(([name, units]) => [name, fromFixed(name, units)]));
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return typeof value;
}

/**
 * Checks a user-given resource map and returns it normalised: finite amounts >= 0, rounded to
 * the fixed-point precision, zero entries dropped. 'GPU' above 1 must be a whole number (a
 * fraction of a GPU is only meaningful as a share of one device).
 * @param fieldPrefix names the field in error messages, e.g. 'resources' → 'resources.GPU'.
 * @throws InvalidArgumentError with `context.field` naming the offending field.
 */
export function validateResourceRequest(req: unknown, fieldPrefix = 'resources'): ResourceMap {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) {
    throw new InvalidArgumentError(
      `${fieldPrefix} must be an object mapping resource names to amounts, got ${describe(req)}`,
      { context: { field: fieldPrefix } },
    );
  }
  checkResourceNames(req, fieldPrefix);
  const out: Array<[string, number]> = [];
  for (const [name, value] of Object.entries(req as Record<string, unknown>)) {
    if (name.trim() === '') {
      throw new InvalidArgumentError(`${fieldPrefix} has a resource with an empty name`, {
        context: { field: fieldPrefix },
      });
    }
    const field = `${fieldPrefix}.${name}`;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new InvalidArgumentError(`${field} must be a finite number >= 0, got ${describe(value)}`, {
        context: { field },
      });
    }
    const units = toFixed(name, value);
    if (units > Number.MAX_SAFE_INTEGER) {
      throw new InvalidArgumentError(
        `${field} is too large: at most ${fromFixed(name, Number.MAX_SAFE_INTEGER)}, got ${value}`,
        { context: { field } },
      );
    }
    if (name === 'GPU' && units > UNITS && units % UNITS !== 0) {
      throw new InvalidArgumentError(`${field} must be a whole number when above 1, got ${value}`, {
        context: { field },
      });
    }
    if (units > 0) out.push([name, fromFixed(name, units)]);
  }
  return Object.fromEntries(out);
}

/** Formats one amount for messages: memory as GiB/MiB, everything else as a plain number. */
export function formatAmount(name: string, amount: number): string {
  if (name !== MEMORY) return String(amount);
  if (amount >= GiB) return `${(amount / GiB).toFixed(1)} GiB`;
  if (amount >= MiB) return `${(amount / MiB).toFixed(1)} MiB`;
  return `${amount} B`;
}

/** Sorts resource names as messages show them: CPU, GPU, memory, then custom names A→Z. */
export function compareResourceNames(a: string, b: string): number {
  const ia = ORDER.indexOf(a);
  const ib = ORDER.indexOf(b);
  if (ia !== -1 || ib !== -1) return (ia === -1 ? ORDER.length : ia) - (ib === -1 ? ORDER.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Formats a map for messages, e.g. "CPU: 2, GPU: 0.5, memory: 1.0 GiB, foo: 3". */
export function formatResources(r: ResourceMap): string {
  return Object.keys(r)
    .sort(compareResourceNames)
    .map((name) => `${name}: ${formatAmount(name, r[name]!)}`)
    .join(', ');
}
