/**
 * Parses the Redis URL forms the state store accepts into a connection target. Passwords come from
 * the URL or `TROUPE_REDIS_PASSWORD` and never appear in `description` or in error messages.
 */
import { InvalidArgumentError } from '../common/index.js';

export const REDIS_URL_FORMS =
  'redis://[user:password@]host[:port][/db], rediss://... (TLS), ' +
  'redis+sentinel://[user:password@]host1[:port1],host2[:port2]/mastername[/db], ' +
  'redis+cluster://[user:password@]host1[:port1],host2[:port2]';

export interface HostPort {
  host: string;
  port: number;
}

export type RedisTarget =
  | { mode: 'standalone'; host: string; port: number; db: number; tls: boolean }
  | { mode: 'sentinel'; sentinels: HostPort[]; masterName: string; db: number }
  | { mode: 'cluster'; nodes: HostPort[] };

export interface RedisUrl {
  target: RedisTarget;
  username: string | undefined;
  password: string | undefined;
  /** The URL without any password, for logs and `troupe status`. */
  description: string;
}

const SCHEMES = ['redis', 'rediss', 'redis+sentinel', 'redis+cluster'] as const;
type Scheme = (typeof SCHEMES)[number];

/** True when `url` starts with one of the Redis schemes (it may still be malformed). */
export function isRedisUrl(url: string): boolean {
  return SCHEMES.some((s) => url.startsWith(`${s}://`));
}

/** The URL with any user info replaced by `***`, safe to print. */
export function redactUrl(url: string): string {
  return url.replace(/^([^:/]+:\/\/)[^@/]*@/, '$1***@');
}

export function parseRedisUrl(url: string, env: NodeJS.ProcessEnv = process.env): RedisUrl {
  const bad = (why: string) =>
    new InvalidArgumentError(
      `state store URL ${redactUrl(url)} is not valid: ${why}; expected one of ${REDIS_URL_FORMS}`,
      {
        context: { field: 'url' },
      },
    );
  const m = /^([a-z+]+):\/\/(?:([^@/?#]*)@)?([^/?#]*)(\/[^?#]*)?([?#].*)?$/.exec(url);
  if (!m) throw bad('it does not look like scheme://host');
  const scheme = m[1] as Scheme;
  if (!SCHEMES.includes(scheme)) throw bad(`unknown scheme "${m[1]}"`);
  if (m[5]) throw bad(`query strings and fragments are not supported (got "${m[5].slice(0, 20)}")`);

  let username: string | undefined;
  let password: string | undefined;
  if (m[2] !== undefined) {
    const colon = m[2].indexOf(':');
    const user = colon < 0 ? m[2] : m[2].slice(0, colon);
    const pass = colon < 0 ? '' : m[2].slice(colon + 1);
    try {
      username = user ? decodeURIComponent(user) : undefined;
      password = pass ? decodeURIComponent(pass) : undefined;
    } catch {
      throw bad('the user info is not correctly percent-encoded');
    }
  }
  password ??= env.TROUPE_REDIS_PASSWORD || undefined;

  const defaultPort = scheme === 'redis+sentinel' ? 26379 : 6379;
  const hosts = m[3]!.split(',').map((h) => parseHost(h, defaultPort, bad));
  const path = (m[4] ?? '').split('/').filter((p) => p !== '');
  const userPart = username ? `${encodeURIComponent(username)}@` : '';
  const hostsPart = hosts
    .map((h) => (h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`))
    .join(',');

  let target: RedisTarget;
  switch (scheme) {
    case 'redis':
    case 'rediss': {
      if (hosts.length !== 1)
        throw bad(`${scheme}:// takes one host; use redis+cluster:// or redis+sentinel:// for several`);
      if (path.length > 1) throw bad('the path must be just the database number');
      target = { mode: 'standalone', ...hosts[0]!, db: parseDb(path[0], bad), tls: scheme === 'rediss' };
      break;
    }
    case 'redis+sentinel': {
      if (path.length < 1 || path.length > 2) throw bad('the path must be /mastername or /mastername/db');
      target = { mode: 'sentinel', sentinels: hosts, masterName: path[0]!, db: parseDb(path[1], bad) };
      break;
    }
    case 'redis+cluster': {
      if (path.length > 0) throw bad('Redis Cluster has only database 0, so the URL takes no path');
      target = { mode: 'cluster', nodes: hosts };
      break;
    }
  }
  const description = `${scheme}://${userPart}${hostsPart}${path.length ? `/${path.join('/')}` : ''}`;
  return { target, username, password, description };
}

function parseHost(text: string, defaultPort: number, bad: (why: string) => Error): HostPort {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))(?::(\d+))?$/.exec(text);
  if (!m) throw bad(text === '' ? 'a host is missing' : `"${text}" is not host or host:port`);
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`port ${m[3]} is not between 1 and 65535`);
  return { host: m[1] ?? m[2]!, port };
}

function parseDb(text: string | undefined, bad: (why: string) => Error): number {
  if (text === undefined) return 0;
  if (!/^\d+$/.test(text)) throw bad(`database "${text}" is not a number`);
  return Number(text);
}
