/**
 * The embedded default StateStore: plain maps in this process, optionally kept in a snapshot file
 * (see snapshot.ts) so that a restarted head finds its state again. Rows are kept as the same JSON
 * envelopes RedisStore writes and checked the same way when read, so both stores behave alike,
 * including on a corrupt snapshot.
 */
import { ShutDownError } from '../common/index.js';
import { decodeRow, encodeRow, type RowLocation } from './rows.js';
import { emptyState, readSnapshot, snapshotText, SnapshotWriter, type SnapshotState } from './snapshot.js';
import type { CommitResult, Mutation, NamedActor, RowTypes, StateStore, TableName } from './types.js';

export interface MemoryStoreOptions {
  /** Keep the state in this JSON file: loaded now, rewritten after changes. Default: none (state dies with the process). */
  snapshotFile?: string;
  /** How long after a change the snapshot is written, gathering the changes made meanwhile. Default 100 ms. */
  snapshotDelayMs?: number;
}

export class MemoryStore implements StateStore {
  readonly kind = 'memory';
  readonly description: string;
  private readonly state: SnapshotState;
  private readonly writer: SnapshotWriter | undefined;
  private readonly file: string | undefined;
  private closed = false;

  /** Loads `snapshotFile` when given (synchronously); throws StateCorruptError naming a bad entry. */
  constructor(options: MemoryStoreOptions = {}) {
    const file = options.snapshotFile;
    this.state = file ? readSnapshot(file) : emptyState();
    this.writer = file
      ? new SnapshotWriter(file, options.snapshotDelayMs ?? 100, () => snapshotText(this.state))
      : undefined;
    this.file = file;
    this.description = file ? `memory (snapshot ${file})` : 'memory';
  }

  async get<T extends TableName>(table: T, id: string): Promise<RowTypes[T] | undefined> {
    this.check();
    const raw = this.state.rows.get(table)!.get(id);
    return raw === undefined ? undefined : decodeRow(table, id, raw, () => this.where(table, id));
  }

  async list<T extends TableName>(table: T): Promise<RowTypes[T][]> {
    this.check();
    return Array.from(this.state.rows.get(table)!, ([id, raw]) =>
      decodeRow(table, id, raw, () => this.where(table, id)),
    );
  }

  async put<T extends TableName>(table: T, id: string, row: RowTypes[T]): Promise<void> {
    this.check();
    this.state.rows.get(table)!.set(id, encodeRow(table, id, row));
    this.changed();
  }

  async delete(table: TableName, id: string): Promise<void> {
    this.check();
    if (this.state.rows.get(table)!.delete(id)) this.changed();
  }

  async commit(mutations: Mutation[]): Promise<CommitResult> {
    this.check();
    // Encode first (it validates rows) and replay name changes, so that nothing applies on failure.
    const encoded = mutations.map((m) => (m.op === 'put' ? encodeRow(m.table, m.id, m.row) : ''));
    const names = new Map<string, string | undefined>();
    for (const m of mutations) {
      if (m.op !== 'claimName' && m.op !== 'releaseName') continue;
      const field = JSON.stringify([m.namespace, m.name]);
      const holder = names.has(field) ? names.get(field) : this.state.names.get(m.namespace)?.get(m.name);
      if (m.op === 'claimName') {
        if (holder !== undefined && holder !== m.actorId) {
          return { ok: false, reason: 'name-taken', namespace: m.namespace, name: m.name, holder };
        }
        names.set(field, m.actorId);
      } else if (holder === m.actorId) {
        names.set(field, undefined);
      }
    }
    mutations.forEach((m, i) => this.apply(m, encoded[i]!));
    if (mutations.length > 0) this.changed();
    return { ok: true };
  }

  async lookupName(namespace: string, name: string): Promise<string | undefined> {
    this.check();
    return this.state.names.get(namespace)?.get(name);
  }

  async listNames(): Promise<NamedActor[]> {
    this.check();
    return Array.from(this.state.names).flatMap(([namespace, names]) =>
      Array.from(names, ([name, actorId]) => ({ namespace, name, actorId })),
    );
  }

  async kvGet(namespace: string, key: string): Promise<Uint8Array | undefined> {
    this.check();
    const value = this.state.kv.get(namespace)?.get(key);
    return value && new Uint8Array(value);
  }

  async kvList(namespace: string, prefix = ''): Promise<string[]> {
    this.check();
    return Array.from(this.state.kv.get(namespace)?.keys() ?? [])
      .filter((k) => k.startsWith(prefix))
      .sort();
  }

  async incr(counter: string): Promise<number> {
    this.check();
    const next = (this.state.counters.get(counter) ?? 0) + 1;
    this.state.counters.set(counter, next);
    this.changed();
    return next;
  }

  async ping(): Promise<void> {
    this.check();
  }

  /** Writes the snapshot now if anything changed since the last write. */
  async flush(): Promise<void> {
    await this.writer?.flush();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writer?.flush();
  }

  private apply(m: Mutation, encoded: string): void {
    switch (m.op) {
      case 'put':
        this.state.rows.get(m.table)!.set(m.id, encoded);
        break;
      case 'delete':
        this.state.rows.get(m.table)!.delete(m.id);
        break;
      case 'claimName': {
        let names = this.state.names.get(m.namespace);
        if (!names) this.state.names.set(m.namespace, (names = new Map()));
        names.set(m.name, m.actorId);
        break;
      }
      case 'releaseName': {
        const names = this.state.names.get(m.namespace);
        if (names?.get(m.name) === m.actorId) {
          names.delete(m.name);
          if (names.size === 0) this.state.names.delete(m.namespace);
        }
        break;
      }
      case 'kvPut': {
        let kv = this.state.kv.get(m.namespace);
        if (!kv) this.state.kv.set(m.namespace, (kv = new Map()));
        kv.set(m.key, new Uint8Array(m.value));
        break;
      }
      case 'kvDelete': {
        const kv = this.state.kv.get(m.namespace);
        if (kv?.delete(m.key) && kv.size === 0) this.state.kv.delete(m.namespace);
        break;
      }
    }
  }

  private changed(): void {
    this.writer?.schedule();
  }

  private check(): void {
    if (this.closed) throw new ShutDownError(`state store ${this.description} is closed`);
  }

  private where(table: TableName, id: string): RowLocation {
    return {
      key: `${this.file ?? 'memory'}#tables.${table}`,
      field: id,
      fix: this.file
        ? 'Fix or remove that entry of the snapshot file, or move the file away to start with an empty state.'
        : '',
    };
  }
}
