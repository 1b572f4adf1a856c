/**
 * How rows are written and read back by every store: a JSON envelope `{"v":1,"row":{...}}` with a
 * schema version, checked field by field on read so that corrupt or foreign data is reported with
 * the key that holds it instead of surfacing later as a confusing failure in the head.
 */
import { InvalidArgumentError, StateCorruptError } from '../common/errors.js';
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

/** A check on one value: undefined when fine, otherwise what is wrong ("must be a string"). */
type Check = (v: unknown) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a finite number');
const int: Check = (v) => (Number.isSafeInteger(v) ? undefined : 'must be an integer');
const obj: Check = (v) => (isObject(v) ? undefined : 'must be an object');
const nullOr =
  (check: Check): Check =>
  (v) => {
    if (v === null) return undefined;
    const wrong = check(v);
    return wrong && `${wrong} (or be null)`;
  };
const oneOf = (...allowed: string[]): Check => {
  const set = new Set(allowed);
  const wrong = `must be one of ${allowed.join(', ')}`;
  return (v) => (typeof v === 'string' && set.has(v) ? undefined : wrong);
};
// Loops below are plain for/for-in: this runs on every read and write of a row (the hot path).
const recordOf = (check: Check, what: string): Check => {
  const wrong = `must be an object of ${what}`;
  return (v) => {
    if (!isObject(v)) return wrong;
    for (const k in v) if (check(v[k]) !== undefined) return wrong;
    return undefined;
  };
};
const shape = (fields: Record<string, Check>): Check => {
  const list = Object.entries(fields);
  return (v) => {
    if (!isObject(v)) return 'must be an object';
    for (let i = 0; i < list.length; i++) {
      const wrong = list[i]![1](v[list[i]![0]]);
      if (wrong) return `.${list[i]![0]} ${wrong}`;
    }
    return undefined;
  };
};

const resources = recordOf(num, 'numbers');

const NODE_FIELDS: Record<keyof NodeRow, Check> = {
  nodeId: str,
  incarnation: int,
  address: str,
  hostname: str,
  labels: recordOf(str, 'strings'),
  total: resources,
  numGpuDevices: int,
  state: oneOf('ALIVE', 'DEAD'),
  deathReason: str,
  registeredAtMs: num,
};

const ACTOR_FIELDS: Record<keyof ActorRow, Check> = {
  actorId: str,
  spec: obj,
  ownerId: str,
  state: oneOf('PENDING', 'CREATING', 'ALIVE', 'RESTARTING', 'DEAD'),
  nodeId: str,
  address: str,
  pid: int,
  allocation: nullOr(
    shape({
      nodeId: str,
      resources,
      gpuIds: (v) => (Array.isArray(v) && v.every((x) => Number.isSafeInteger(x)) ? undefined : 'must be an array of integers'),
    }),
  ),
  death: nullOr(obj),
  numRestarts: int,
  createdAtMs: num,
};

const OPAQUE_FIELDS = { id: str };

const FIELDS: Record<TableName, Array<[string, Check]>> = {
  nodes: Object.entries(NODE_FIELDS),
  actors: Object.entries(ACTOR_FIELDS),
  placementGroups: Object.entries(OPAQUE_FIELDS),
  jobs: Object.entries(OPAQUE_FIELDS),
  sweeps: Object.entries(OPAQUE_FIELDS),
};

/** Why `row` is not a valid row of `table` stored under `id`, or undefined when it is. */
export function rowProblem(table: TableName, id: string, row: unknown): string | undefined {
  if (!isObject(row)) return 'the row is not a JSON object';
  const fields = FIELDS[table];
  for (let i = 0; i < fields.length; i++) {
    const [name, check] = fields[i]!;
    const wrong = check(row[name]);
    if (wrong) return `field "${name}" ${wrong}, got ${preview(row[name])}`;
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
  return new StateCorruptError(`state store key ${where.key} field ${JSON.stringify(where.field)} ${what}. ${where.fix}`, {
    context: { key: where.key, field: where.field },
  });
}

function preview(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
