/**
 * The ioredis client behind RedisStore: built from a parsed URL, reconnecting by itself with a
 * bounded backoff, failing a command after a bounded number of reconnection attempts instead of
 * queueing it forever, and turning ioredis errors into Troupe errors that say what to do.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { InternalError, StateCorruptError, StateUnavailableError, TroupeError } from '../common/index.js';
import { logger } from '../common/index.js';
import { COMMIT_LUA, COMMIT_SCRIPT_NAME } from './redis-commit.js';
import type { RedisUrl } from './redis-url.js';

export interface RedisClientOptions {
  /** Reconnection attempts a command waits through before it fails with StateUnavailableError. Default 3. */
  maxRetriesPerRequest?: number;
  /** A command with no reply after this long fails with StateUnavailableError. Default 10,000 ms. */
  commandTimeoutMs?: number;
  /** Longest wait between reconnection attempts. Default 1,000 ms. */
  maxReconnectDelayMs?: number;
}

/** The commands RedisStore uses, common to a standalone/Sentinel client and a Cluster client. */
export type RedisClient = (Redis | Cluster) & {
  [COMMIT_SCRIPT_NAME](numKeys: number, ...keysAndArgs: Array<string | Buffer>): Promise<unknown>;
};

/** What the client last saw of its connection, for error messages. */
export interface ConnectionWatch {
  /** The last connection error since the client was last ready; undefined while connected. */
  lastError: string | undefined;
  /**
   * Set for Cluster clients: a Cluster that is not ready queues commands with no bound of its own,
   * so the store gives each command this long.
   */
  deadlineMs: number | undefined;
}

export function createRedisClient(
  url: RedisUrl,
  options: RedisClientOptions = {},
): { client: RedisClient; watch: ConnectionWatch } {
  const maxDelay = options.maxReconnectDelayMs ?? 1_000;
  // Never give up reconnecting: a head must outlive a Redis restart. Backoff 50 ms, 100 ms, ... capped.
  const retryStrategy = (times: number) => Math.min(50 * 2 ** Math.min(times, 10), maxDelay);
  const common: RedisOptions = {
    username: url.username,
    password: url.password,
    connectionName: 'troupe-state',
    connectTimeout: 5_000,
    commandTimeout: options.commandTimeoutMs ?? 10_000,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? 3,
    retryStrategy,
  };
  const scripts = { [COMMIT_SCRIPT_NAME]: { lua: COMMIT_LUA } };
  const t = url.target;
  let client: Redis | Cluster;
  switch (t.mode) {
    case 'standalone':
      client = new Redis({
        ...common,
        host: t.host,
        port: t.port,
        db: t.db,
        ...(t.tls ? { tls: {} } : {}),
        enableAutoPipelining: true,
        lazyConnect: true,
        scripts,
      });
      break;
    case 'sentinel':
      client = new Redis({
        ...common,
        sentinels: t.sentinels,
        name: t.masterName,
        db: t.db,
        sentinelRetryStrategy: retryStrategy,
        enableAutoPipelining: true,
        lazyConnect: true,
        scripts,
      });
      break;
    case 'cluster':
      client = new Cluster(t.nodes, {
        redisOptions: common,
        clusterRetryStrategy: retryStrategy,
        enableAutoPipelining: true,
        lazyConnect: true,
        scripts,
      });
      break;
  }
  const watch = watchConnection(client, url.description);
  if (t.mode === 'cluster') watch.deadlineMs = common.commandTimeout;
  return { client: client as RedisClient, watch };
}

/** Logs an outage once and the recovery once, instead of every failed reconnection attempt. */
function watchConnection(client: Redis | Cluster, description: string): ConnectionWatch {
  const log = logger('state');
  const watch: ConnectionWatch = { lastError: undefined, deadlineMs: undefined };
  // Without an 'error' listener ioredis prints every connection error; the store reports them instead.
  client.on('error', (err: Error) => {
    if (watch.lastError === undefined)
      log.warn({ redis: description, err: err.message }, 'state store: cannot use Redis, reconnecting');
    watch.lastError = err.message;
  });
  client.on('ready', () => {
    if (watch.lastError !== undefined) log.info({ redis: description }, 'state store: Redis reachable again');
    watch.lastError = undefined;
  });
  return watch;
}

/**
 * The Troupe error for a failed Redis command. `key` is the key the command touched, when one did.
 * Errors Redis answered (ReplyError) are about data or permissions; anything else means Redis
 * could not be reached in time.
 */
export function redisFailure(err: unknown, description: string, watch: ConnectionWatch, key?: string): TroupeError {
  if (err instanceof TroupeError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ReplyError') {
    if (e.message.startsWith('WRONGTYPE') && key !== undefined) {
      return new StateCorruptError(
        `state store key ${key} holds a Redis value that is not a hash, so it is not Troupe data. ` +
          'Delete that key or start the head with another key prefix.',
        { context: { key }, cause: e },
      );
    }
    if (/^(NOAUTH|WRONGPASS)/.test(e.message)) {
      return new StateUnavailableError(
        `Redis at ${description} refused the credentials (${e.message}); check the password in the URL or in TROUPE_REDIS_PASSWORD`,
        { cause: e },
      );
    }
    if (/^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY)/.test(e.message)) {
      return new StateUnavailableError(
        `Redis at ${description} cannot serve writes now (${e.message}); retry shortly`,
        { cause: e },
      );
    }
    return new InternalError(`Redis at ${description} answered an error: ${e.message}`, { cause: e });
  }
  const why =
    e.name === 'MaxRetriesPerRequestError'
      ? `${watch.lastError ?? 'connection lost'}; this command gave up after the allowed reconnection attempts`
      : watch.lastError && watch.lastError !== e.message
        ? `${e.message}; last connection error: ${watch.lastError}`
        : e.message;
  return new StateUnavailableError(
    `Redis at ${description} is unreachable (${why}). The store keeps reconnecting by itself: ` +
      'check that Redis is running and reachable from this host, then retry.',
    { cause: e },
  );
}
