/** Helpers shared by the integration tests that run on an embedded cluster (`connect()` with no address). */
import { expect } from 'vitest';

/** The fixture actor classes (`test/fixtures/actors.ts`), loaded by the actor host processes through tsx. */
export const ACTORS = new URL('../fixtures/actors.ts', import.meta.url);

/** Resolves to what `p` rejected with; fails the test if `p` resolves. */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  let value: unknown;
  try {
    value = await p;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
}

/** Milliseconds `fn` took, with what it produced. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last result. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 5000, everyMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(everyMs);
  }
}
