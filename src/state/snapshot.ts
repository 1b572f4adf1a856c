/**
 * MemoryStore's optional snapshot file: one JSON document, read once at open and rewritten
 * (debounced) after changes, atomically through a temporary file and a rename, so a crash leaves
 * either the old snapshot or the new one, never half of one. Changes made in the last debounce
 * interval before a crash are lost; use RedisStore where that matters.
 *
 * {"version":1,"tables":{"actors":{"<id>":{"v":1,"row":{...}}}},"names":{"<ns>":{"<name>":"<actorId>"}},
 *  "kv":{"<ns>":{"<key>":"<base64>"}},"counters":{"<name>":<int>}}
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StateCorruptError } from '../common/index.js';
import { logger } from '../common/index.js';
import { TABLES } from './rows.js';
import type { TableName } from './types.js';

export const SNAPSHOT_VERSION = 1;

export interface SnapshotState {
  /** Row envelopes as JSON text, checked when read (rows.ts). */
  rows: Map<TableName, Map<string, string>>;
  names: Map<string, Map<string, string>>;
  kv: Map<string, Map<string, Uint8Array>>;
  counters: Map<string, number>;
}

export function emptyState(): SnapshotState {
  return { rows: new Map(TABLES.map((t) => [t, new Map()])), names: new Map(), kv: new Map(), counters: new Map() };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a snapshot; an absent file is an empty state. Throws StateCorruptError naming the bad entry. */
export function readSnapshot(file: string): SnapshotState {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw err;
  }
  const bad = (entry: string, what: string) =>
    new StateCorruptError(
      `state snapshot ${file}: ${entry} ${what}. Fix or remove that entry, or move the file away to start with an empty state.`,
      { context: { key: `${file}#${entry}` } },
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad('the file', `is not JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw bad('the file', 'is not a JSON object');
  if (doc.version !== SNAPSHOT_VERSION)
    throw bad('version', `is ${JSON.stringify(doc.version)}; this Troupe reads ${SNAPSHOT_VERSION}`);
  const state = emptyState();
  for (const [table, rows] of Object.entries(section(doc, 'tables', bad))) {
    const map = state.rows.get(table as TableName);
    if (!map) throw bad(`tables.${table}`, `is not a table (tables are ${TABLES.join(', ')})`);
    if (!isObject(rows)) throw bad(`tables.${table}`, 'is not an object of rows');
    for (const [id, row] of Object.entries(rows)) map.set(id, JSON.stringify(row));
  }
  for (const [ns, names] of Object.entries(section(doc, 'names', bad))) {
    const map = new Map<string, string>();
    if (!isObject(names)) throw bad(`names.${ns}`, 'is not an object of name -> actor id');
    for (const [name, actorId] of Object.entries(names)) {
      if (typeof actorId !== 'string' || actorId === '') throw bad(`names.${ns}.${name}`, 'is not an actor id');
      map.set(name, actorId);
    }
    state.names.set(ns, map);
  }
  for (const [ns, entries] of Object.entries(section(doc, 'kv', bad))) {
    const map = new Map<string, Uint8Array>();
    if (!isObject(entries)) throw bad(`kv.${ns}`, 'is not an object of key -> base64 value');
    for (const [key, value] of Object.entries(entries)) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
        throw bad(`kv.${ns}.${key}`, 'is not a base64 string');
      map.set(key, new Uint8Array(Buffer.from(value, 'base64')));
    }
    state.kv.set(ns, map);
  }
  for (const [name, value] of Object.entries(section(doc, 'counters', bad))) {
    if (!Number.isSafeInteger(value)) throw bad(`counters.${name}`, 'is not an integer');
    state.counters.set(name, value as number);
  }
  return state;
}

function section(
  doc: Record<string, unknown>,
  name: string,
  bad: (e: string, w: string) => Error,
): Record<string, unknown> {
  const value = doc[name] ?? {};
  if (!isObject(value)) throw bad(name, 'is not an object');
  return value;
}

/** The snapshot document for `state` (row envelopes are spliced in as they are stored). */
export function snapshotText(state: SnapshotState): string {
  const obj = (entries: Iterable<[string, string]>) =>
    `{${Array.from(entries, ([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
  const tables = obj(Array.from(state.rows, ([table, rows]) => [table, obj(rows)]));
  const names = Object.fromEntries(Array.from(state.names, ([ns, m]) => [ns, Object.fromEntries(m)]));
  const kv = Object.fromEntries(
    Array.from(state.kv, ([ns, m]) => [
      ns,
      Object.fromEntries(Array.from(m, ([k, v]) => [k, Buffer.from(v).toString('base64')])),
    ]),
  );
  const rest = JSON.stringify({ names, kv, counters: Object.fromEntries(state.counters) });
  return `{"version":${SNAPSHOT_VERSION},"tables":${tables},${rest.slice(1)}\n`;
}

/** Writes `text()` to `file` at most once per `delayMs` after `schedule()`, one write at a time. */
export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastError: unknown;
  private readonly log = logger('state');

  constructor(
    private readonly file: string,
    private readonly delayMs: number,
    private readonly text: () => string,
  ) {}

  schedule(): void {
    this.dirty = true;
    if (this.timer || this.writing) return;
    this.timer = setTimeout(() => void this.write(), this.delayMs);
    this.timer.unref();
  }

  /** Writes now if anything changed; rejects if that write (or the last failed one) failed. */
  async flush(): Promise<void> {
    for (;;) {
      clearTimeout(this.timer);
      this.timer = undefined;
      if (this.writing) await this.writing;
      else if (this.dirty) await this.write();
      else break;
    }
    if (this.lastError !== undefined) throw this.lastError;
  }

  private write(): Promise<void> {
    this.timer = undefined;
    this.dirty = false;
    const done = this.writeOnce().finally(() => {
      this.writing = undefined;
      if (this.dirty) this.schedule();
    });
    this.writing = done;
    return done;
  }

  private async writeOnce(): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      await writeFile(tmp, this.text(), { mode: 0o600 });
      await rename(tmp, this.file);
      this.lastError = undefined;
    } catch (err) {
      this.lastError = err;
      this.log.error({ file: this.file, err: (err as Error).message }, 'state snapshot could not be written');
    }
  }
}
