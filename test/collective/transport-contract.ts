/**
 * The PeerTransport contract (STYLE.md item 7): one suite that every collective transport runs, so
 * the in-memory transport the tests lean on cannot drift from the TCP one production uses. Above
 * all it pins the moment a recv's timeout starts (src/collective/mailbox.ts): when the recv becomes
 * the oldest one waiting for its (from, tag).
 */
import { afterEach, expect, it } from 'vitest';
import { InvalidArgumentError, TimeoutError, UnavailableError } from '../../src/common/errors.js';
import type { PeerTransport } from '../../src/collective/index.js';

export interface TransportSubject {
  /** `size` connected transports, rank r at index r. */
  open(size: number): Promise<{ transports: PeerTransport[]; close(): Promise<void> }>;
}

const settled = async (p: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> => {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function transportContract(subject: TransportSubject): void {
  const opened: Array<() => Promise<void>> = [];
  const open = async (size: number) => {
    const g = await subject.open(size);
    opened.push(g.close);
    return g.transports;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c()));
  });

  it('matches by (from, tag), FIFO, whether the message or the recv comes first', async () => {
    const [a, b, c] = await open(3);
    await a!.send(1, 'x', Float32Array.of(1));
    await c!.send(1, 'x', Float32Array.of(9));
    await a!.send(1, 'y', Float32Array.of(2));
    await a!.send(1, 'x', Float32Array.of(3));
    expect(Array.from(await b!.recv(0, 'y', 1000))).toEqual([2]);
    expect(Array.from(await b!.recv(0, 'x', 1000))).toEqual([1]);
    expect(Array.from(await b!.recv(2, 'x', 1000))).toEqual([9]);
    expect(Array.from(await b!.recv(0, 'x', 1000))).toEqual([3]);
    const first = b!.recv(0, 'w', 1000);
    const second = b!.recv(0, 'w', 1000);
    await a!.send(1, 'w', Float64Array.of(4));
    await a!.send(1, 'w', Float64Array.of(5));
    const [p, q] = await Promise.all([first, second]);
    expect([p, q].map((t) => [t.constructor.name, Array.from(t)])).toEqual([
      ['Float64Array', [4]],
      ['Float64Array', [5]],
    ]);
  });

  it('lets the sender reuse its data once send resolves, and delivers to itself', async () => {
    const [a, b] = await open(2);
    const data = Float32Array.of(1, 2, 3);
    await a!.send(1, 'r', data);
    data.fill(0);
    expect(Array.from(await b!.recv(0, 'r', 1000))).toEqual([1, 2, 3]);
    await a!.send(0, 'self', Float32Array.of(8));
    expect(Array.from(await a!.recv(0, 'self', 1000))).toEqual([8]);
  });

  it('recvInto lands the values in its destination, and refuses a mismatch naming the rank and tag', async () => {
    const [a, b] = await open(2);
    const dest = new Float32Array(6).fill(-1);
    const landing = b!.recvInto!(0, 'i', dest.subarray(1, 5), 1000);
    await a!.send(1, 'i', Float32Array.of(1, 2, 3, 4));
    await landing;
    expect(Array.from(dest)).toEqual([-1, 1, 2, 3, 4, -1]);
    await a!.send(1, 'i', Float32Array.of(7, 8));
    const queued = new Float32Array(2);
    await b!.recvInto!(0, 'i', queued, 1000);
    expect(Array.from(queued)).toEqual([7, 8]);
    for (const [sent, into] of [
      [new Float32Array(5), new Float32Array(4)],
      [new Float64Array(4), new Float32Array(4)],
    ] as const) {
      const got = b!.recvInto!(0, 'm', into, 1000);
      await a!.send(1, 'm', sent);
      const err = await got.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toMatch(
        /^rank 0 sent a Float(32|64)Array of \d+ \(tag m\), expected a Float32Array of 4/,
      );
    }
    await a!.send(1, 'ok', Float32Array.of(7));
    expect(Array.from(await b!.recv(0, 'ok', 1000))).toEqual([7]);
  });

  it('times out naming the rank and the tag', async () => {
    const [, b] = await open(2);
    const started = Date.now();
    const err = await b!.recv(0, 'z', 50).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('rank 0 did not send within 50 ms (tag z)');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    const err2 = await b!.recvInto!(0, 'z', new Float32Array(1), 50).catch((e: unknown) => e);
    expect((err2 as Error).message).toBe('rank 0 did not send within 50 ms (tag z)');
  });

  for (const how of ['recv', 'recvInto'] as const) {
    it(`starts a ${how}'s timeout when it becomes the oldest one waiting for its (from, tag)`, async () => {
      const [a, b] = await open(2);
      const wait = (ms: number) =>
        how === 'recv' ? b!.recv(0, 't', ms) : b!.recvInto!(0, 't', new Float32Array(1), ms);
      const first = wait(10_000);
      const second = wait(400);
      // The second one's clock has not started: it outlives its own timeout while the first waits.
      await sleep(600);
      expect(await settled(second)).toBe('pending');
      await a!.send(1, 't', Float32Array.of(1));
      await first;
      // Now it counts: a message within its timeout of the first's serves it...
      await sleep(150);
      expect(await settled(second)).toBe('pending');
      await a!.send(1, 't', Float32Array.of(2));
      await second;
      // ...and one that never comes times it out 400 ms after the one before it came, not before.
      const third = wait(10_000);
      const fourth = wait(400);
      await a!.send(1, 't', Float32Array.of(3));
      await third;
      const from = Date.now();
      const err = await fourth.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TimeoutError);
      expect(Date.now() - from).toBeGreaterThanOrEqual(390);
    });
  }

  it('abort makes the pending and later recvs from the aborting rank reject with its reason', async () => {
    const [a, b, c] = await open(3);
    const pending = [b!.recv(0, 'p', 60_000), c!.recv(0, 'q', 60_000)].map((p) => p.catch((e: unknown) => e));
    a!.abort!(new Error('out of memory'));
    for (const err of await Promise.all(pending)) {
      expect(err).toBeInstanceOf(UnavailableError);
      expect((err as Error).message).toMatch(/rank 0 gave up: out of memory/);
    }
    await expect(b!.recv(0, 'later', 60_000)).rejects.toBeInstanceOf(UnavailableError);
    // The others still talk to each other.
    await c!.send(1, 'fine', Float32Array.of(5));
    expect(Array.from(await b!.recv(2, 'fine', 1000))).toEqual([5]);
  });
}
