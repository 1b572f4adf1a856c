/**
 * The Redis key layout under one prefix. Every key carries the prefix's `{hash tag}`, so on Redis
 * Cluster all of a store's keys hash to one slot and a multi-key Lua script can touch them all.
 *
 *   <prefix><table>       hash: row id -> JSON row envelope (see rows.ts), one per table
 *   <prefix>names         hash: "<namespace>\0<name>" -> actor id
 *   <prefix>kv:<ns>       hash: key -> binary value, one per key-value namespace
 *   <prefix>counters      hash: counter name -> integer
 */
import { InvalidArgumentError } from '../common/index.js';
import type { TableName } from './types.js';

export const DEFAULT_KEY_PREFIX = 'troupe:{default}:';

export class RedisKeys {
  readonly names: string;
  readonly counters: string;
  private readonly tables = new Map<TableName, string>();

  constructor(readonly prefix: string = DEFAULT_KEY_PREFIX) {
    // Redis hashes only the part between the first '{' and the first '}' after it, when non-empty.
    const open = prefix.indexOf('{');
    const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
    if (close <= open + 1) {
      throw new InvalidArgumentError(
        `keyPrefix "${prefix}" needs a non-empty {hash tag} (like "troupe:{mycluster}:") so that all keys share one Redis Cluster slot`,
        { context: { field: 'keyPrefix' } },
      );
    }
    this.names = `${prefix}names`;
    this.counters = `${prefix}counters`;
  }

  table(table: TableName): string {
    let key = this.tables.get(table);
    if (key === undefined) this.tables.set(table, (key = this.prefix + table));
    return key;
  }

  kv(namespace: string): string {
    return `${this.prefix}kv:${namespace}`;
  }
}

/** The field of the names hash for a namespace/name pair. */
export function nameField(namespace: string, name: string): string {
  if (namespace.includes('\0')) {
    throw new InvalidArgumentError('a namespace must not contain the NUL character', {
      context: { field: 'namespace' },
    });
  }
  return `${namespace}\0${name}`;
}

/** Splits a names-hash field back into namespace and name; undefined when it has no separator. */
export function splitNameField(field: string): { namespace: string; name: string } | undefined {
  const i = field.indexOf('\0');
  return i < 0 ? undefined : { namespace: field.slice(0, i), name: field.slice(i + 1) };
}
