import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import { parseRedisUrl } from '../../src/state/redis-url.js';

describe('parseRedisUrl', () => {
  it('reads standalone URLs, with TLS, database and percent-encoded credentials', () => {
    expect(parseRedisUrl('redis://localhost', {})).toEqual({
      target: { mode: 'standalone', host: 'localhost', port: 6379, db: 0, tls: false },
      username: undefined,
      password: undefined,
      description: 'redis://localhost:6379',
    });
    const tls = parseRedisUrl('rediss://app:p%40ss%3Aword@redis.example.com:6380/4', {});
    expect(tls.target).toEqual({ mode: 'standalone', host: 'redis.example.com', port: 6380, db: 4, tls: true });
    expect([tls.username, tls.password]).toEqual(['app', 'p@ss:word']);
    expect(tls.description).toBe('rediss://app@redis.example.com:6380/4');
    expect(parseRedisUrl('redis://[::1]:7000/1', {}).target).toMatchObject({ host: '::1', port: 7000, db: 1 });
  });

  it('reads Sentinel and Cluster URLs with several hosts', () => {
    const s = parseRedisUrl('redis+sentinel://:pw@s1:26380,s2,10.0.0.3:26381/mymaster/2', {});
    expect(s.target).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '10.0.0.3', port: 26381 },
      ],
      masterName: 'mymaster',
      db: 2,
    });
    expect(s.password).toBe('pw');
    expect(s.description).toBe('redis+sentinel://s1:26380,s2:26379,10.0.0.3:26381/mymaster/2');
    const c = parseRedisUrl('redis+cluster://n1:7000,n2:7001', {});
    expect(c.target).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: 'n2', port: 7001 },
      ],
    });
  });

  it('takes the password from TROUPE_REDIS_PASSWORD when the URL has none', () => {
    expect(parseRedisUrl('redis://h', { TROUPE_REDIS_PASSWORD: 'env-pw' }).password).toBe('env-pw');
    expect(parseRedisUrl('redis://:url-pw@h', { TROUPE_REDIS_PASSWORD: 'env-pw' }).password).toBe('url-pw');
    expect(parseRedisUrl('redis://:url-pw@h', {}).description).not.toContain('url-pw');
  });

  it('rejects malformed URLs, naming the forms expected and hiding the password', () => {
    const cases: Array<[string, RegExp]> = [
      ['redis://h:0', /port 0/],
      ['redis://h/x', /database "x"/],
      ['redis://h/1/2', /just the database/],
      ['redis://a,b', /one host/],
      ['redis://h?tls=true', /query strings/],
      ['redis+sentinel://s1', /mastername/],
      ['redis+cluster://n1/0', /only database 0/],
      ['redis://', /host is missing/],
      ['redis://:secret@h:70000', /between 1 and 65535/],
      ['http://h', /unknown scheme/],
    ];
    for (const [url, says] of cases) {
      let err: unknown;
      try {
        parseRedisUrl(url, {});
      } catch (e) {
        err = e;
      }
      expect(err, url).toBeInstanceOf(InvalidArgumentError);
      const message = (err as Error).message;
      expect(message, url).toMatch(says);
      expect(message).toContain('redis+cluster://');
      expect(message).not.toContain('secret');
    }
  });
});
