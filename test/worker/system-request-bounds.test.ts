/**
 * Runtime requests are bounded before anything is allocated for them (issue 13, item 13):
 * `~troupe.collective.open` with size 1,000,000 grew an actor host from 84 to 985 MB in 2.4 s.
 * Sent raw on an actor host's call stream, as a token holder past the client would send them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter } from '../fixtures/actors.js';
import {
  ACTORS,
  callRaw as callRawWith,
  rssMb,
  startEmbeddedCluster,
  type EmbeddedCluster,
} from '../fixtures/index.js';

const OPEN = '~troupe.collective.open';
const CONNECT = '~troupe.collective.connect';
const CLOSE = '~troupe.collective.close';

let embedded: EmbeddedCluster;
beforeAll(async () => {
  // One `slot`: held by an actor, it keeps others PENDING (actors that exist, for the size cap).
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 0, resources: { slot: 1 } });
});
afterAll(async () => {
  await embedded?.stop();
});

const callRaw = (address: string, actorId: string, calls: Array<[string, unknown[]]>) =>
  callRawWith(address, embedded.token, actorId, calls);

describe('runtime requests sent raw to an actor host', () => {
  it('refuses a group of 1,000,000 before allocating it, and other values out of bounds, naming the field', async () => {
    const c = await embedded.driver.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([0]);
    const { address, pid } = await c.state();
    const before = rssMb(pid);
    const answers = await callRaw(address, c.id, [
      [OPEN, ['g', 0, 1_000_000, 'tcp', 'tok']],
      [OPEN, ['g', 4096, 4096, 'tcp', 'tok']],
      [OPEN, ['g', 0, 2, 'b'.repeat(65), 'tok']],
      [OPEN, ['g', 0, 2, 'tcp', 't'.repeat(1025)]],
      [CONNECT, ['g', Array(4097).fill('127.0.0.1:1'), 1000]],
      [CONNECT, ['g', ['x'.repeat(1025)], 1000]],
      [CONNECT, ['g', ['127.0.0.1:1'], 1e12]],
      ['inc', [1]],
    ]);
    const after = rssMb(pid);
    console.log(`actor host RSS around the refused requests: ${before.toFixed(0)} MB -> ${after.toFixed(0)} MB`);
    const expected: Array<[string, RegExp]> = [
      ['size', /size must be at most 4096 \(the largest group\), got 1000000$/],
      ['rank', /rank must be an integer in \[0, 4096\), got 4096$/],
      ['backend', /backend must be at most 64 characters, got "b{40}… \(65 characters\)"$/],
      ['token', /token must be at most 1024 characters/],
      ['rendezvous', /rendezvous must be at most 4096 strings \(the largest group\), got an array of 4097$/],
      ['rendezvous[0]', /rendezvous\[0\] must be at most 1024 characters/],
      ['timeoutMs', /timeoutMs must be at most 86400000 \(a day\), got 1000000000000$/],
    ];
    expected.forEach(([field, message], i) => {
      const a = answers[i]!;
      expect(a.error?.code, field).toBe('INVALID_ARGUMENT');
      expect(a.error?.context.field).toBe(field);
      expect(a.error?.message).toMatch(message);
    });
    expect(answers[7]!.error ?? undefined).toBeUndefined();
    // Nothing was allocated for a million members (the bug grew the host by 900 MB).
    expect(after - before).toBeLessThan(100);
    expect(await c.call.inc(1)).toBe(2);
    await c.kill();
  });

  it('caps the groups one actor holds open and unconnected, and their members together', async () => {
    const c = await embedded.driver.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([0], {
      resources: { slot: 1 },
    });
    // A group's size is capped by the actors that exist: 4095 more wait for the slot, PENDING,
    // so that groups of 4096 may be opened; they go with their driver.
    const waiter = await embedded.connect();
    const W = waiter.actorClass<typeof Counter>(ACTORS, 'Counter');
    for (let i = 0; i < 4095; i++) void W.spawn([0], { resources: { slot: 1 } }).catch(() => undefined);
    while ((await embedded.driver.status()).pendingActors < 4095) await new Promise((r) => setTimeout(r, 100));
    const { address } = await c.state();
    const names = Array.from({ length: 65 }, (_, i) => `g${i}`);
    const answers = await callRaw(
      address,
      c.id,
      names.map((n) => [OPEN, [n, 0, 2, 'tcp', 'tok']]),
    );
    const refused = answers.filter((a) => a.error);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.error!.message).toMatch(
      /already has 64 collective groups of 128 members opened and not connected, at most 64 groups of 8192 members/,
    );
    // Closing them frees their places.
    const closed = await callRaw(address, c.id, [
      ...names.map((n): [string, unknown[]] => [CLOSE, [n]]),
      [OPEN, ['h', 0, 2, 'tcp', 'tok']],
    ]);
    expect(closed.every((a) => !a.error)).toBe(true);
    // Members count too: two groups of 4096 being formed, and no room for a third of 2.
    const big = await callRaw(address, c.id, [
      [CLOSE, ['h']],
      [OPEN, ['big1', 0, 4096, 'tcp', 'tok']],
      [OPEN, ['big2', 0, 4096, 'tcp', 'tok']],
      [OPEN, ['small', 0, 2, 'tcp', 'tok']],
    ]);
    expect(big.slice(0, 3).map((a) => a.error ?? undefined)).toEqual([undefined, undefined, undefined]);
    expect(big[3]!.error?.message).toMatch(/already has 2 collective groups of 8192 members opened and not connected/);
    await waiter.shutdown();
    await c.kill();
  });
});
