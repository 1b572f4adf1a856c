/**
 * How rows are written and read back by every store: a JSON envelope `{"v":1,"row":{...}}` with a
 * schema version, checked field by field (zod schemas, through the shared validation helper's
 * Field) on read so that corrupt or foreign data is reported with the key that holds it instead
 * of surfacing later as a confusing failure in the head.
 */
import { z } from 'zod';
import { InvalidArgumentError, StateCorruptError } from '../common/index.js';
import { field, type Field, type Fields } from '../options/index.js';
import type { ActorRow, NodeRow, RowTypes, TableName } from './types.js';

export const ROW_SCHEMA_VERSION = 1;

export const TABLES: readonly TableName[] = ['nodes', 'actors', 'placementGroups', 'jobs', 'sweeps'];

/** The row field that must equal the id a row is stored under. */
const ID_FIELD: Record<TableName, string> = {
  nodes: 'nodeId',
  actors: 'actorId',
  placementGroups: 'id',
  jobs: 'id',
  sweeps: 'id',
};

/** Where a row lives, for error messages: a Redis key and hash field, or a snapshot file entry. */
export interface RowLocation {
  key: string;
  field: string;
  /** What an operator can do about it. */
  fix: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const str = field(z.string(), 'a string');
const num = field(z.number(), 'a finite number');
const int = field(z.int(), 'an integer');
const obj = field(z.custom(isObject), 'an object');
const oneOf = (...allowed: [string, ...string[]]): Field => field(z.enum(allowed), `one of ${allowed.join(', ')}`);
const nullOr = (f: Field): Field => field(f.schema.nullable(), `${f.rule} (or null)`);
const resources = field(z.record(z.string(), z.number()), 'an object of numbers');

const NODE_FIELDS: Fields<NodeRow> = {
  nodeId: str,
  incarnation: int,
  address: str,
  hostname: str,
  labels: field(z.record(z.string(), z.string()), 'an object of strings'),
  total: resources,
  numGpuDevices: int,
  state: oneOf('ALIVE', 'DEAD'),
  deathReason: str,
  registeredAtMs: num,
};

const ACTOR_FIELDS: Fields<ActorRow> = {
  actorId: str,
  spec: obj,
  ownerId: str,
  state: oneOf('PENDING', 'CREATING', 'ALIVE', 'RESTARTING', 'DEAD'),
  nodeId: str,
  address: str,
  pid: int,
  allocation: nullOr(
    field(
      z.looseObject({ nodeId: z.string(), resources: resources.schema, gpuIds: z.array(z.int()) }),
      'an object { nodeId: string, resources: an object of numbers, gpuIds: an array of integers }',
    ),
  ),
  death: nullOr(obj),
  numRestarts: int,
  createdAtMs: num,
};

const OPAQUE_FIELDS = { id: str };

const FIELDS: Record<TableName, Array<[string, Field]>> = {
  nodes: Object.entries(NODE_FIELDS),
  actors: Object.entries(ACTOR_FIELDS),
  placementGroups: Object.entries(OPAQUE_FIELDS),
  jobs: Object.entries(OPAQUE_FIELDS),
  sweeps: Object.entries(OPAQUE_FIELDS),
};

// One object schema per table for the common case (a good row: one pass, which zod compiles);
// the fields are looked at one by one only to name the first bad one. Other fields are kept.
const ROW_SCHEMAS = Object.fromEntries(
  TABLES.map((t) => [t, z.looseObject(Object.fromEntries(FIELDS[t].map(([name, f]) => [name, f.schema])))]),
) as unknown as Record<TableName, z.ZodType>;

/** Why `row` is not a valid row of `table` stored under `id`, or undefined when it is. */
export function rowProblem(table: TableName, id: string, row: unknown): string | undefined {
  if (!isObject(row)) return 'the row is not a JSON object';
  if (!ROW_SCHEMAS[table].safeParse(row).success) {
    for (const [name, f] of FIELDS[table]) {
      if (!f.schema.safeParse(row[name]).success) return `field "${name}" must be ${f.rule}, got ${preview(row[name])}`;
    }
  }
  const idField = ID_FIELD[table];
  if (row[idField] !== id) return `field "${idField}" is ${preview(row[idField])}, not the id it is stored under`;
  return undefined;
}

/** Checks the row (a bad one would read back as corrupt) and encodes its envelope. */
export function encodeRow<T extends TableName>(table: T, id: string, row: RowTypes[T]): string {
  const problem = rowProblem(table, id, row);
  if (problem) {
    throw new InvalidArgumentError(`${table} row "${id}" cannot be stored: ${problem}`, { context: { field: table } });
  }
  return `{"v":${ROW_SCHEMA_VERSION},"row":${JSON.stringify(row)}}`;
}

/** Parses and checks an envelope; throws StateCorruptError naming the location `at` gives when it cannot be used. */
export function decodeRow<T extends TableName>(table: T, id: string, raw: string, at: () => RowLocation): RowTypes[T] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw corrupt(at(), `is not JSON (starts with ${preview(raw.slice(0, 40))})`);
  }
  if (!isObject(parsed) || !('v' in parsed) || !('row' in parsed)) {
    throw corrupt(at(), 'is not a Troupe row (expected {"v":<version>,"row":{...}})');
  }
  if (parsed.v !== ROW_SCHEMA_VERSION) {
    throw corrupt(at(), `has schema version ${preview(parsed.v)}; this Troupe reads version ${ROW_SCHEMA_VERSION}`);
  }
  const problem = rowProblem(table, id, parsed.row);
  if (problem) throw corrupt(at(), `is not a valid ${table} row: ${problem}`);
  return parsed.row as RowTypes[T];
}

/** A StateCorruptError for data at `where` that `what` describes. */
export function corrupt(where: RowLocation, what: string): StateCorruptError {
  return new StateCorruptError(
    `state store key ${where.key} field ${JSON.stringify(where.field)} ${what}. ${where.fix}`,
    {
      context: { key: where.key, field: where.field },
    },
  );
}

function preview(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
