/**
 * Runtime requests are bounded before anything is allocated for them (issue 13, item 13):
 * `~troupe.collective.open` with size 1,000,000 grew an actor host from 84 to 985 MB in 2.4 s.
 * Sent raw on an actor host's call stream, as a token holder past the client would send them.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../src/objects/index.js';
import type { Counter } from '../fixtures/actors.js';
import {
  ACTORS,
  bearer,
  decodeWire,
  encodeWire,
  rawClient,
  startEmbeddedCluster,
  type EmbeddedCluster,
} from '../fixtures/index.js';

const OPEN = '~troupe.collective.open';
const CONNECT = '~troupe.collective.connect';
const CLOSE = '~troupe.collective.close';

let embedded: EmbeddedCluster;
beforeAll(async () => {
  embedded = await startEmbeddedCluster({ numCpus: 2, warmPoolSize: 0 });
});
afterAll(async () => {
  await embedded?.stop();
});

interface Answer {
  seq: number;
  value?: Buffer;
  error?: { code: string; message: string; context: Record<string, string> };
}

/** Sends `calls` (method, args) to `actorId` as one raw CallBatch; resolves with the answers by seq. */
async function callRaw(address: string, actorId: string, calls: Array<[string, unknown[]]>): Promise<Answer[]> {
  const client = rawClient(address, 'troupe.v1.ActorHostService', [], ['Calls']);
  try {
    const batch = encodeWire('CallBatch', {
      calls: calls.map(([method, args], i) => ({ seq: i + 1, actorId, method, args: encode(args) })),
    });
    const answers: Answer[] = [];
    const done = new Promise<void>((resolve) => {
      const stream = (
        client.Calls as (md: unknown) => NodeJS.ReadWriteStream & { end(): void; write(b: Buffer): void }
      ).call(client, bearer(embedded.token));
      stream.on('data', (m: Buffer) => {
        answers.push(...decodeWire<{ results: Answer[] }>('ResultBatch', m).results);
        if (answers.length === calls.length) {
          stream.end();
          resolve();
        }
      });
      stream.on('error', () => undefined);
      stream.write(batch);
    });
    await done;
    return answers.sort((a, b) => a.seq - b.seq);
  } finally {
    client.close();
  }
}

const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

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
    const c = await embedded.driver.actorClass<typeof Counter>(ACTORS, 'Counter').spawn([0]);
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
    await c.kill();
  });
});
