/**
 * StateStore on Redis (standalone, Sentinel or Cluster) through ioredis. Concurrent operations
 * are pipelined automatically; commits run as one Lua script. While Redis is away, operations fail
 * with StateUnavailableError and the client keeps reconnecting, so the same instance works again
 * once Redis is back. See redis-keys.ts for the key layout.
 */
import { ShutDownError, StateCorruptError, StateUnavailableError } from '../common/index.js';
import { commitCall, commitResult, COMMIT_SCRIPT_NAME } from './redis-commit.js';
import {
  createRedisClient,
  redisFailure,
  type ConnectionWatch,
  type RedisClient,
  type RedisClientOptions,
} from './redis-client.js';
import { DEFAULT_KEY_PREFIX, nameField, RedisKeys, splitNameField } from './redis-keys.js';
import { parseRedisUrl } from './redis-url.js';
import { decodeRow, encodeRow, type RowLocation } from './rows.js';
import type { CommitResult, Mutation, NamedActor, RowTypes, StateStore, TableName } from './types.js';

export interface RedisStoreOptions extends RedisClientOptions {
  /** Prefix of every key; must hold a non-empty {hash tag}. Default `troupe:{default}:`. */
  keyPrefix?: string;
  /** Where `TROUPE_REDIS_PASSWORD` is read from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Most rows in one batched HSET/HMGET. */
const MAX_BATCH = 512;

export class RedisStore implements StateStore {
  readonly kind = 'redis';
  readonly description: string;
  private readonly keys: RedisKeys;
  private closed = false;
  private batch:
    | {
        kind: 'put' | 'get';
        key: string;
        items: Array<{
          id: string;
          value: string | undefined;
          resolve: (v: unknown) => void;
          reject: (e: unknown) => void;
        }>;
      }
    | undefined;

  private constructor(
    private readonly client: RedisClient,
    private readonly watch: ConnectionWatch,
    redisDescription: string,
    keyPrefix: string,
  ) {
    this.keys = new RedisKeys(keyPrefix);
    this.description = `${redisDescription} (keys ${keyPrefix}*)`;
  }

  /** Connects to `url` and resolves once Redis answers PING; rejects with StateUnavailableError otherwise. */
  static async open(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    const parsed = parseRedisUrl(url, options.env);
    const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    new RedisKeys(keyPrefix); // validates the prefix before a connection is made
    const { client, watch } = createRedisClient(parsed, options);
    const store = new RedisStore(client, watch, parsed.description, keyPrefix);
    try {
      await store.ping();
    } catch (err) {
      client.disconnect();
      if (err instanceof StateUnavailableError && (err.cause as Error | undefined)?.name !== 'ReplyError') {
        throw new StateUnavailableError(
          `could not open the state store: Redis at ${parsed.description} is unreachable ` +
            `(${watch.lastError ?? (err.cause as Error)?.message}); ` +
            'check that Redis is running and reachable from this host, and the URL',
          { cause: err },
        );
      }
      throw err;
    }
    return store;
  }

  async get<T extends TableName>(table: T, id: string): Promise<RowTypes[T] | undefined> {
    const key = this.keys.table(table);
    const raw = await this.batched<string | null>('get', key, id, undefined);
    return raw === null ? undefined : decodeRow(table, id, raw, () => this.where(key, id));
  }

  async list<T extends TableName>(table: T): Promise<RowTypes[T][]> {
    const key = this.keys.table(table);
    this.flushBatch();
    const all = await this.run(key, () => this.client.hgetall(key));
    return Object.entries(all).map(([id, raw]) => decodeRow(table, id, raw, () => this.where(key, id)));
  }

  async put<T extends TableName>(table: T, id: string, row: RowTypes[T]): Promise<void> {
    const key = this.keys.table(table);
    const value = encodeRow(table, id, row);
    await this.batched<void>('put', key, id, value);
  }

  async delete(table: TableName, id: string): Promise<void> {
    const key = this.keys.table(table);
    this.flushBatch();
    await this.run(key, () => this.client.hdel(key, id));
  }

  /**
   * Puts (and gets) of one table issued in the same tick travel as one HSET (HMGET): ioredis costs
   * about as much per command as the JSON of a row, so a burst of actor updates shares one. Any
   * other operation sends the pending batch first, so every operation reaches Redis in call order.
   */
  private batched<R>(kind: 'put' | 'get', key: string, id: string, value: string | undefined): Promise<R> {
    if (this.batch && (this.batch.kind !== kind || this.batch.key !== key || this.batch.items.length >= MAX_BATCH))
      this.flushBatch();
    return new Promise<R>((resolve, reject) => {
      if (!this.batch) {
        this.batch = { kind, key, items: [] };
        queueMicrotask(() => this.flushBatch());
      }
      this.batch.items.push({ id, value, resolve: resolve as (v: unknown) => void, reject });
    });
  }

  private flushBatch(): void {
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    const { kind, key, items } = batch;
    if (kind === 'put') {
      const args: string[] = [];
      for (const it of items) args.push(it.id, it.value!);
      this.run(key, () => this.client.hset(key, ...args)).then(
        () => items.forEach((it) => it.resolve(undefined)),
        (err: unknown) => items.forEach((it) => it.reject(err)),
      );
      return;
    }
    this.run(key, () => this.client.hmget(key, ...items.map((it) => it.id))).then(
      (values) => items.forEach((it, i) => it.resolve(values[i] ?? null)),
      (err: unknown) => items.forEach((it) => it.reject(err)),
    );
  }

  async commit(mutations: Mutation[]): Promise<CommitResult> {
    if (mutations.length === 0) return { ok: true };
    this.flushBatch();
    const call = commitCall(this.keys, mutations);
    const reply = await this.run(undefined, () =>
      this.client[COMMIT_SCRIPT_NAME](call.keys.length, ...call.keys, ...call.args),
    );
    return commitResult(reply, call, mutations);
  }

  async lookupName(namespace: string, name: string): Promise<string | undefined> {
    this.flushBatch();
    const field = nameField(namespace, name);
    return (await this.run(this.keys.names, () => this.client.hget(this.keys.names, field))) ?? undefined;
  }

  async listNames(): Promise<NamedActor[]> {
    this.flushBatch();
    const key = this.keys.names;
    const all = await this.run(key, () => this.client.hgetall(key));
    return Object.entries(all).map(([field, actorId]) => {
      const split = splitNameField(field);
      if (!split || actorId === '') {
        throw new StateCorruptError(
          `state store key ${key} field ${JSON.stringify(field)} is not a Troupe name binding ` +
            `(expected "<namespace>\\0<name>" -> actor id). ${this.where(key, field).fix}`,
          { context: { key, field } },
        );
      }
      return { ...split, actorId };
    });
  }

  async kvGet(namespace: string, key: string): Promise<Uint8Array | undefined> {
    this.flushBatch();
    const redisKey = this.keys.kv(namespace);
    const buf = await this.run(redisKey, () => this.client.hgetBuffer(redisKey, key));
    return buf === null ? undefined : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async kvList(namespace: string, prefix = ''): Promise<string[]> {
    this.flushBatch();
    const redisKey = this.keys.kv(namespace);
    const keys = await this.run(redisKey, () => this.client.hkeys(redisKey));
    return keys.filter((k) => k.startsWith(prefix)).sort();
  }

  async incr(counter: string): Promise<number> {
    this.flushBatch();
    const key = this.keys.counters;
    try {
      return await this.run(key, () => this.client.hincrby(key, counter, 1));
    } catch (err) {
      if (err instanceof Error && /not an integer|overflow/.test(err.message)) {
        throw new StateCorruptError(
          `state store key ${key} field ${JSON.stringify(counter)} is not an integer counter. ${this.where(key, counter).fix}`,
          { context: { key, field: counter }, cause: err },
        );
      }
      throw err;
    }
  }

  async ping(): Promise<void> {
    this.flushBatch();
    await this.run(undefined, () => this.client.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flushBatch();
    this.closed = true;
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  /** Runs one Redis call, turning its failure into a Troupe error. Not async: this is the hot path. */
  private run<R>(key: string | undefined, op: () => Promise<R>): Promise<R> {
    if (this.closed) return Promise.reject(new ShutDownError(`state store ${this.description} is closed`));
    let reply: Promise<R>;
    try {
      reply = op();
    } catch (err) {
      reply = Promise.reject(err);
    }
    if (this.watch.deadlineMs !== undefined) reply = withDeadline(reply, this.watch.deadlineMs);
    return reply.catch((err: unknown) => {
      throw redisFailure(err, this.description, this.watch, key);
    });
  }

  private where(key: string, field: string): RowLocation {
    const fix =
      `Fix or delete it (redis-cli HDEL '${key}' '${field}'), ` +
      'or start the head with another key prefix for a fresh state.';
    return { key, field, fix };
  }
}

function withDeadline<R>(reply: Promise<R>, ms: number): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
  });
  return Promise.race([reply, late]).finally(() => clearTimeout(timer));
}
