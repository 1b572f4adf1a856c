/**
 * Opens the state store a URL names: nothing or `memory` for the embedded MemoryStore,
 * `memory:///path/to/snapshot.json` for a MemoryStore kept in that file, a Redis URL for RedisStore.
 */
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from '../common/index.js';
import { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { isRedisUrl, redactUrl, REDIS_URL_FORMS } from './redis-url.js';
import type { StateStore } from './types.js';

export type OpenStoreOptions = Omit<MemoryStoreOptions, 'snapshotFile'> & RedisStoreOptions;

export const STATE_URL_FORMS = `memory, memory:///path/to/snapshot.json, ${REDIS_URL_FORMS}`;

/** Opens and checks the store; a RedisStore is returned only after Redis answered PING. */
export async function openStore(url?: string, options: OpenStoreOptions = {}): Promise<StateStore> {
  if (url === undefined || url === '' || url === 'memory') return new MemoryStore(options);
  if (url.startsWith('memory:')) {
    let file = '';
    try {
      if (url.startsWith('memory:///')) file = fileURLToPath(url.replace(/^memory:/, 'file:'));
    } catch {
      // reported below
    }
    if (file === '' || file.endsWith('/')) {
      throw invalid(url, 'a memory URL takes an absolute file path: memory:///path/to/snapshot.json');
    }
    return new MemoryStore({ ...options, snapshotFile: file });
  }
  if (isRedisUrl(url)) return RedisStore.open(url, options);
  throw invalid(url, 'unknown kind of store');
}

function invalid(url: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `state store URL ${redactUrl(url)} is not valid: ${why}; expected one of ${STATE_URL_FORMS}`,
    {
      context: { field: 'url' },
    },
  );
}
