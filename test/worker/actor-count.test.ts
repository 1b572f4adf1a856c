/**
 * The count of actors a host trusts before refusing a collective group: an answer is never older
 * than the question, and however many opens ask at once, one ask is in flight and one waits.
 */
import { describe, expect, it } from 'vitest';
import { ActorCount } from '../../src/worker/actor-count.js';

/** An ask the test answers by hand, counting the asks made. */
function manual(): { count: ActorCount; asks: Array<(n: number) => void> } {
  const asks: Array<(n: number) => void> = [];
  return { count: new ActorCount(() => new Promise<number>((resolve) => asks.push(resolve))), asks };
}

describe('ActorCount', () => {
  it('allows a size within the count heard without asking, and asks afresh above it', async () => {
    const { count, asks } = manual();
    count.set(4);
    expect(await count.allows(4)).toEqual({ ok: true, count: 4 });
    expect(asks).toHaveLength(0);
    const above = count.allows(6);
    expect(asks).toHaveLength(1);
    asks[0]!(6);
    expect(await above).toEqual({ ok: true, count: 6 });
    expect(count.cached).toBe(6);
    const refused = count.allows(7);
    asks[1]!(6);
    expect(await refused).toEqual({ ok: false, count: 6 });
  });

  it('does not cap when the one asked cannot say (0: a head that predates the count, or unreachable)', async () => {
    const { count, asks } = manual();
    const p = count.allows(1000);
    asks[0]!(0);
    expect(await p).toEqual({ ok: true, count: 0 });
  });

  it('shares asks: callers during an ask wait for the next one, started after they asked', async () => {
    const { count, asks } = manual();
    const first = count.fresh();
    const during = Array.from({ length: 100 }, () => count.fresh());
    expect(asks).toHaveLength(1);
    // The first ask was made before the later callers asked: its answer is not theirs.
    asks[0]!(3);
    expect(await first).toBe(3);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(asks).toHaveLength(2);
    asks[1]!(8);
    expect(await Promise.all(during)).toEqual(during.map(() => 8));
    expect(asks).toHaveLength(2);
  });
});
