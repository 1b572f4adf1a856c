/**
 * A collective group's size is capped by the actors that exist (issue 13, item 13): its members
 * are actors, so an open of more members than the cluster has can never form and is refused at
 * once, before anything is held for it. The count the host has heard may lag behind spawns, so a
 * legitimate group opened right after its members were spawned must still form.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Counter } from '../fixtures/actors.js';
import type { Member } from '../fixtures/collective-actors.js';
import { ACTORS, callRaw, rssMb, startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const OPEN = '~troupe.collective.open';
const CLOSE = '~troupe.collective.close';
const MEMBERS = new URL('../fixtures/collective-actors.ts', import.meta.url);

let embedded: EmbeddedCluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 0 });
});
afterAll(async () => {
  await embedded?.stop();
});

describe('the size of a collective group', () => {
  it('is refused above the number of actors in the cluster, naming both, before anything is held', async () => {
    const C = embedded.driver.actorClass<typeof Counter>(ACTORS, 'Counter');
    const counters = await Promise.all([0, 1, 2].map(() => C.spawn([0])));
    const c = counters[0]!;
    const { address, pid } = await c.state();
    const before = rssMb(pid);
    // Groups of 4096 each pass the absolute bound; the cap by count refuses every one.
    const big = Array.from({ length: 200 }, (_, i): [string, unknown[]] => [OPEN, [`big${i}`, 0, 4096, 'tcp', 'tok']]);
    const answers = await callRaw(address, embedded.token, c.id, [
      [OPEN, ['g', 0, 1000, 'tcp', 'tok']],
      [OPEN, ['h', 3, 4, 'tcp', 'tok']],
      ...big,
      ['inc', [1]],
    ]);
    const after = rssMb(pid);
    console.log(`actor host RSS around 202 refused opens: ${before.toFixed(0)} MB -> ${after.toFixed(0)} MB`);
    expect(answers[0]!.error?.code).toBe('INVALID_ARGUMENT');
    expect(answers[0]!.error?.context.field).toBe('size');
    expect(answers[0]!.error?.message).toMatch(
      /collective group 'g' can never form: size 1000 but the cluster has 3 actors/,
    );
    expect(answers[1]!.error?.message).toMatch(/size 4 but the cluster has 3 actors/);
    for (const a of answers.slice(2, 202)) expect(a.error?.message).toMatch(/size 4096 but the cluster has 3 actors/);
    expect(answers[202]!.error ?? undefined).toBeUndefined();
    expect(after - before).toBeLessThan(50);
    // The refused opens hold no place: the actor may still open its 64 groups, of the 3 there are.
    const names = Array.from({ length: 64 }, (_, i) => `ok${i}`);
    const opened = await callRaw(
      address,
      embedded.token,
      c.id,
      names.map((n) => [OPEN, [n, 0, 3, 'tcp', 'tok']]),
    );
    expect(opened.map((a) => a.error?.message)).toEqual(names.map(() => undefined));
    const closed = await callRaw(
      address,
      embedded.token,
      c.id,
      names.map((n) => [CLOSE, [n]]),
    );
    expect(closed.every((a) => !a.error)).toBe(true);
    await Promise.all(counters.map((x) => x.kill()));
  });

  it('never refuses a group opened right after its members were spawned (the count heard lags)', async () => {
    const M = embedded.driver.actorClass<typeof Member>(MEMBERS, 'Member');
    const members = [];
    const started = Date.now();
    // Each round spawns two more actors and at once forms a group of all of them: every size is
    // above any count heard before the round, so the host must ask afresh before it may refuse.
    for (let round = 1; round <= 8; round++) {
      members.push(...(await Promise.all([0, 1].map(() => M.spawn([], { isolation: 'shared' })))));
      const name = `round${round}`;
      const group = await embedded.driver.collectiveGroup(members, { backend: 'tcp', name });
      expect(group.size).toBe(2 * round);
      expect(await Promise.all(members.map((m) => m.call.info(name)))).toEqual(
        members.map((_, rank) => ({ rank, size: 2 * round, backend: 'tcp' })),
      );
      await group.destroy();
    }
    console.log(`8 rounds of spawn-then-form (groups of 2 to 16) took ${Date.now() - started} ms`);
    // And in a process that has heard no count yet.
    const fresh = await Promise.all([0, 1].map(() => M.spawn([])));
    const all = [...members, ...fresh];
    const group = await embedded.driver.collectiveGroup(all, { backend: 'tcp', name: 'last' });
    expect(group.size).toBe(all.length);
    await group.destroy();
    await Promise.all(all.map((m) => m.kill()));
  }, 60_000);
});
