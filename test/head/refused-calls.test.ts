/**
 * Peers with a wrong token hammering the head, an actor host and its data plane (issue 13, item 8):
 * the process's log file grows by a few lines, not one per refusal, and the summary lines account
 * for every refused call. Raw grpc-js clients with identity serializers, raw TCP for the data plane.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configureLogging, logger } from '../../src/common/index.js';
import { HeadServer } from '../../src/head/index.js';
import { FrameType, HEADER_BYTES, encodeFrame } from '../../src/transport/data-plane/frames.js';
import { ActorHost } from '../../src/worker/actor-host.js';

const TOKEN = 'refused-calls-test-token';
const CALLS = 20_000;
const INTERVAL_MS = 1000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-refused-'));
const file = path.join(dir, 'server.log');
configureLogging({ file, level: 'info', refusalIntervalMs: INTERVAL_MS });

let head: HeadServer;
let host: ActorHost;
let headAddress: string;
let hostAddress: string;
beforeAll(async () => {
  head = new HeadServer({ token: TOKEN });
  headAddress = await head.start();
  host = new ActorHost({ host: '127.0.0.1', token: TOKEN, log: logger('actor-host') });
  hostAddress = `127.0.0.1:${await host.listen()}`;
});
afterAll(async () => {
  await host?.close();
  await head?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Line {
  msg: string;
  refused?: number;
}
const readLines = (): Line[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Line);
const sizeNow = (): number => statSync(file).size;

const identity = (b: Buffer): Buffer => b;
function wrongToken(): grpc.Metadata {
  const md = new grpc.Metadata();
  md.set('authorization', 'Bearer not-the-token');
  return md;
}

/** `CALLS` calls with a wrong token on one raw client, 500 at a time; resolves with their status codes. */
async function hammer(address: string, call: (c: grpc.Client) => Promise<grpc.status | undefined>): Promise<number> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  let unauthenticated = 0;
  try {
    for (let done = 0; done < CALLS; done += 500) {
      const codes = await Promise.all(Array.from({ length: Math.min(500, CALLS - done) }, () => call(client)));
      unauthenticated += codes.filter((c) => c === grpc.status.UNAUTHENTICATED).length;
    }
  } finally {
    client.close();
  }
  return unauthenticated;
}

const unary =
  (method: string) =>
  (client: grpc.Client): Promise<grpc.status | undefined> =>
    new Promise((resolve) =>
      client.makeUnaryRequest(method, identity, identity, Buffer.alloc(0), wrongToken(), (err) => resolve(err?.code)),
    );

const stream =
  (method: string) =>
  (client: grpc.Client): Promise<grpc.status | undefined> =>
    new Promise((resolve) => {
      const s = client.makeBidiStreamRequest(method, identity, identity, wrongToken());
      s.on('data', () => undefined);
      s.on('error', (err: grpc.ServiceError) => resolve(err.code));
      s.on('end', () => resolve(undefined));
      s.write(Buffer.from([0x0a, 0x00]));
    });

/**
 * Runs `attack`; then, once the summaries for it are written, checks that the log grew by a few
 * lines that account for all `expected` refusals. Returns what it measured.
 */
async function bounded(what: string, expected: number, attack: () => Promise<void>): Promise<void> {
  const linesBefore = readLines().length;
  const bytesBefore = sizeNow();
  const start = Date.now();
  await attack();
  const seconds = (Date.now() - start) / 1000;
  // Every summary is due within two intervals of the last refusal.
  await sleep(2.5 * INTERVAL_MS);
  const lines = readLines().slice(linesBefore);
  const grown = sizeNow() - bytesBefore;
  const accounted = lines.reduce((n, l) => n + (l.refused ?? 1), 0);
  console.log(
    `${what}: ${expected} refusals in ${seconds.toFixed(1)} s grew the log by ${grown} bytes in ${lines.length} lines`,
  );
  expect(accounted).toBe(expected);
  // One line at once, then at most one summary per interval (and one more for a tick cut short).
  expect(lines.length).toBeLessThanOrEqual(3 + Math.ceil(seconds / (INTERVAL_MS / 1000)));
  expect(grown).toBeLessThan(lines.length * 600);
  expect(lines[0]!.msg).toMatch(/refused/);
  expect(lines.at(-1)!.msg).toMatch(/^refused \d+ more (calls|connections) from 127\.0\.0\.1 in the last \d+ s: /);
}

describe('refused peers in the log', () => {
  it(`grows the head's log by a few lines for ${CALLS} calls with a wrong token`, async () => {
    await bounded('head', CALLS, async () => {
      expect(await hammer(headAddress, unary('/troupe.v1.ActorService/GetClusterStatus'))).toBe(CALLS);
    });
  }, 120_000);

  it(`grows an actor host's log by a few lines for ${CALLS} call streams with a wrong token`, async () => {
    await bounded('actor host', CALLS, async () => {
      expect(await hammer(hostAddress, stream('/troupe.v1.ActorHostService/Calls'))).toBe(CALLS);
    });
  }, 120_000);

  it("grows it by a few lines for 2,000 wrong HELLOs on the actor host's data plane", async () => {
    const address = await host.objects.address();
    const [h, port] = address.split(':');
    const hello = encodeFrame(FrameType.HELLO, 0, Buffer.from('not-the-token'));
    const once = () =>
      new Promise<string>((resolve) => {
        const got: Buffer[] = [];
        const s = net.connect({ host: h!, port: Number(port) }, () => s.write(hello));
        s.on('data', (c: Buffer) => got.push(c));
        s.on('error', () => undefined);
        s.on('close', () => resolve(Buffer.concat(got).toString('utf8', HEADER_BYTES + 2)));
      });
    await bounded('data plane', 2000, async () => {
      for (let i = 0; i < 2000; i += 100) {
        const replies = await Promise.all(Array.from({ length: 100 }, once));
        expect(replies.every((r) => r === 'wrong cluster token')).toBe(true);
      }
    });
  }, 120_000);
});
