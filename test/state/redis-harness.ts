/**
 * Where Redis-backed tests get their Redis (DESIGN.md "Testing"): `REDIS_URL` when set; otherwise a
 * local `redis-server` on a free port; otherwise a testcontainers container when a Docker engine
 * answers; otherwise a skip with a one-line reason, which `describeRedis` prints.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'vitest';
import { skipWithout } from '../fixtures/requirements.js';
import { findRedisServer, startLocalRedis } from '../../bench/lib/redis-server.js';

export interface TestRedis {
  url: string;
  /** Where it came from, for test titles. */
  source: 'REDIS_URL' | 'redis-server' | 'testcontainers';
  /**
   * Takes Redis away and brings it back on the same address, for outage tests; absent where this
   * harness does not own the server (REDIS_URL, testcontainers).
   */
  control?: { stop(): Promise<void>; start(): Promise<void>; restart(): Promise<void> };
  /** Stops what the harness started. */
  close(): Promise<void>;
}

export type RedisForTests = TestRedis | { skip: string };

/** The URL of database `n` of the same Redis, so that each test file works on a clean one. */
export function redisDatabase(r: TestRedis, n: number): string {
  const u = new URL(r.url);
  u.pathname = `/${n}`;
  return u.toString();
}

/** `args` (extra redis-server arguments) need a server of our own, so they pass over REDIS_URL. */
export async function redisForTests(options: { args?: string[] } = {}): Promise<RedisForTests> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv && !options.args) return { url: fromEnv, source: 'REDIS_URL', close: async () => {} };
  if (findRedisServer()) {
    const local = await startLocalRedis({ args: options.args ?? [] });
    return { url: local.url, source: 'redis-server', control: local, close: local.close };
  }
  const docker = dockerSocket();
  if (!docker)
    return { skip: 'no REDIS_URL, no redis-server on PATH and no Docker engine (apt-get install redis-server)' };
  return startContainer(options.args ?? []).catch((err: unknown) => ({
    skip: `no REDIS_URL, no redis-server on PATH, and a Redis container could not start: ${firstLine(err)}`,
  }));
}

/**
 * Registers `body` under a describe titled `title`, or, when Redis is not to be had, a skipped
 * describe whose title carries the reason and one printed line naming the package (a failure
 * under TROUPE_REQUIRE_FULL=1: see test/fixtures/requirements.ts), so that a run never passes over
 * these tests silently.
 */
export function describeRedis(title: string, redis: RedisForTests, body: (redis: TestRedis) => void): void {
  const reason = 'skip' in redis && skipWithout({ what: title, pkg: 'redis-server', missing: redis.skip });
  const label = 'skip' in redis ? `${title} (skipped: ${reason})` : `${title} (${redis.source})`;
  describe.skipIf(reason)(label, () => {
    if ('skip' in redis) it('needs Redis', () => {});
    else body(redis);
  });
}

/**
 * Skips for a Redis the tests did not start (REDIS_URL, a container) and so cannot stop: that is how
 * the run was configured, not a missing component, so it is printed but never a failure.
 */
export function cannotRestart(r: TestRedis, what: string): string | false {
  const reason = restartReason(r);
  if (reason) console.warn(`[troupe tests] SKIPPED ${what}: ${reason}`);
  return reason;
}

/** Why `r` cannot be stopped and started by the tests, or false where it can. */
export function restartReason(r: TestRedis): string | false {
  return r.control ? false : `the tests cannot stop and start a Redis from ${r.source}`;
}

/** Where a Docker engine would answer, checked without waiting on anything. */
function dockerSocket(): string | undefined {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  const candidates = [
    '/var/run/docker.sock',
    path.join(os.homedir(), '.docker/run/docker.sock'),
    process.env.XDG_RUNTIME_DIR ? path.join(process.env.XDG_RUNTIME_DIR, 'docker.sock') : '',
  ];
  return candidates.find((c) => c && existsSync(c));
}

async function startContainer(args: string[]): Promise<TestRedis> {
  const tc = await import('testcontainers');
  // A socket that exists may still have no engine behind it: give it a few seconds, not a minute.
  await withTimeout(tc.getContainerRuntimeClient(), 5_000, 'the Docker engine did not answer within 5 s');
  const container = await new tc.GenericContainer('redis:7-alpine')
    .withCommand(['redis-server', '--save', '', '--appendonly', 'no', ...args])
    .withExposedPorts(6379)
    .start();
  return {
    url: `redis://${container.getHost()}:${container.getMappedPort(6379)}`,
    source: 'testcontainers',
    close: async () => {
      await container.stop();
    },
  };
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0]!;
}
