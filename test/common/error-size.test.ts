/**
 * Errors of any size reach their caller. A failed unary call carries its error in gRPC trailers,
 * which have a size limit; an error past it never arrived and the caller waited out its deadline
 * (a 40,000-character actor name in getActor, a spawn with 600 custom resources). Every error on
 * the wire is cut to  saying how much was left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ActorNotFoundError,
  ERROR_INFO_LIMITS,
  InvalidArgumentError,
  ResourcesInfeasibleError,
  TimeoutError,
  TroupeError,
  errorToInfo,
} from '../../src/common/index.js';
import type { Cluster } from '../../src/index.js';
import type { Counter } from '../fixtures/actors.js';
import { ACTORS, rejection, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

describe('errorToInfo', () => {
  it('cuts message, stack, context and causes to the limits, saying how much was left out', () => {
    let err: Error = new Error('root '.repeat(10_000));
    for (let i = 0; i < 6; i++) err = new InvalidArgumentError(`level ${i} `.repeat(5_000), { cause: err });
    const info = errorToInfo(err);
    expect(info.message.length).toBeLessThan(ERROR_INFO_LIMITS.message + 40);
    expect(info.message).toMatch(/… \d+ bytes more$/);
    expect(JSON.stringify(info).length).toBeLessThan(ERROR_INFO_LIMITS.total + 1024);
    expect(errorToInfo(new InvalidArgumentError('short')).message).toBe('short');
  });
});

describe('a head error larger than the trailers hold', () => {
  let embedded: EmbeddedCluster;
  let cluster: Cluster;
  beforeAll(async () => {
    embedded = await startEmbeddedCluster({ numCpus: 1, warmPoolSize: 0 });
    cluster = embedded.driver;
  });
  afterAll(async () => {
    await embedded?.stop();
  });

  const notATimeout = (err: Error): void => {
    expect(err).toBeInstanceOf(TroupeError);
    expect(err).not.toBeInstanceOf(TimeoutError);
  };

  it('arrives for a 40,000-character name', async () => {
    const err = await rejection(cluster.getActor('z'.repeat(40_000)));
    notATimeout(err);
    expect(
      [ActorNotFoundError, InvalidArgumentError].some((c) => err instanceof c),
      err.message,
    ).toBe(true);
    expect(err.message).toMatch(/bytes more/);
  });

  it('arrives for a spawn asking for 600 custom resources', async () => {
    const resources = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`custom-resource-${i}`, 1]));
    const err = await rejection(cluster.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([0], { resources }));
    notATimeout(err);
    expect(
      [ResourcesInfeasibleError, InvalidArgumentError].some((c) => err instanceof c),
      err.message,
    ).toBe(true);
  });
});
