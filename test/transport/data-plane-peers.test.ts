/**
 * Peers of a data-plane server that never prove they hold the token (issue 13, item 7): idle
 * sockets, slowloris HELLOs, floods from many addresses, HELLOs that announce large payloads. They
 * are raw TCP sockets, as an attacker's would be; loopback aliases (127.0.0.x) stand in for
 * different remote addresses.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DataPlaneClient, DataPlaneServer, type DataPlaneServerStats } from '../../src/transport/data-plane/index.js';
import {
  FrameType,
  HEADER_BYTES,
  WireErrorCode,
  encodeError,
  encodeFrame,
  encodeHeader,
} from '../../src/transport/data-plane/frames.js';
import { startServerChild, vmRssBytes, type ServerChild } from './server-child.js';

const TOKEN = 'peers-test-token';
const HELLO = encodeFrame(FrameType.HELLO, 0, Buffer.from(TOKEN));
const silent = pino({ level: 'silent' });

interface Raw {
  socket: net.Socket;
  openedAt: number;
  /** Resolves with what the server sent, once it closed the connection. */
  closed: Promise<Buffer>;
  closedAt?: number;
}

/** A raw socket from `localAddress` that writes `first` once connected (when given). */
function raw(address: string, localAddress: string, first?: Buffer): Raw {
  const [host, port] = address.split(':');
  const socket = net.connect({ host: host!, port: Number(port), localAddress });
  const got: Buffer[] = [];
  const r: Raw = { socket, openedAt: Date.now(), closed: Promise.resolve(Buffer.alloc(0)) };
  socket.on('data', (c: Buffer) => got.push(c));
  socket.on('error', () => undefined);
  if (first) socket.once('connect', () => socket.write(first));
  r.closed = new Promise<Buffer>((resolve) =>
    socket.once('close', () => {
      r.closedAt = Date.now();
      resolve(Buffer.concat(got));
    }),
  );
  return r;
}

/** Opens `n` raw sockets spread over `addresses`, `batch` at a time (each connected or closed). */
async function flood(address: string, addresses: string[], n: number, first?: Buffer, batch = 250): Promise<Raw[]> {
  const all: Raw[] = [];
  for (let i = 0; i < n; i += batch) {
    const some = Array.from({ length: Math.min(batch, n - i) }, (_, j) =>
      raw(address, addresses[(i + j) % addresses.length]!, first),
    );
    await Promise.all(
      some.map(
        (r) =>
          new Promise<void>((resolve) => {
            r.socket.once('connect', () => resolve());
            r.socket.once('close', () => resolve());
          }),
      ),
    );
    all.push(...some);
  }
  return all;
}

/** The reason in the connection-level ERROR frame the server sent last, if any. */
function errorReply(reply: Buffer): { code: number; message: string } | undefined {
  const at = reply.lastIndexOf(encodeHeader(FrameType.ERROR, 0, 0).subarray(0, 6));
  if (at < 0) return undefined;
  return { code: reply.readUInt16BE(at + HEADER_BYTES), message: reply.toString('utf8', at + HEADER_BYTES + 2) };
}

/** The child's server stats and the bytes its ArrayBuffers hold, after a garbage collection there. */
async function childStats(child: ServerChild): Promise<DataPlaneServerStats & { arrayBuffers: number }> {
  child.proc.stdin!.write('gc\nstats\n');
  for (;;) {
    const line = await child.nextLine();
    if (line.startsWith('stats ')) return JSON.parse(line.slice(6)) as DataPlaneServerStats & { arrayBuffers: number };
  }
}

/** The soft limit on open files of this process, from /proc. */
function openFileLimit(): number {
  const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : 1024;
}

/** Writes `bytes` one byte every `everyMs`, until the socket closes. */
function trickle(socket: net.Socket, bytes: Buffer, everyMs: number): void {
  let at = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || at >= bytes.length) clearInterval(timer);
    else socket.write(bytes.subarray(at, ++at));
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

/** `p`, or a failure naming `what` after `ms` (so a socket the server keeps fails the test, not its timeout). */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

const addresses = (from: number, count: number) => Array.from({ length: count }, (_, i) => `127.0.0.${from + i}`);

describe('data-plane peers without the token', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const track = (sockets: Raw[]) => cleanup.push(() => sockets.forEach((r) => r.socket.destroy()));

  it('serves a token holder past 5,000 idle connections and two slowloris, and closes them all by the deadlines', async () => {
    const helloTimeoutMs = 3000;
    const idleTimeoutMs = 4000;
    const child = await startServerChild({ obj: 1024 * 1024 }, TOKEN, { helloTimeoutMs, idleTimeoutMs });
    cleanup.push(() => child.proc.kill('SIGKILL'));
    // Both ends of every socket the server keeps live in this machine's processes; this one holds 5,000.
    let n = 5000;
    const limit = openFileLimit();
    if (limit < n + 1000) {
      n = Math.max(100, limit - 1000);
      console.log(`open-file limit ${limit} (ulimit -n): scaled the flood down to ${n} connections`);
    }
    const t0 = Date.now();
    const idle = await flood(child.address, addresses(2, 10), n);
    track(idle);
    console.log(`opened ${n} idle connections from 10 addresses in ${Date.now() - t0} ms`);
    // A HELLO that arrives a byte at a time, and a PULL after a good HELLO that does the same.
    const before = raw(child.address, '127.0.0.12');
    trickle(before.socket, HELLO, 400);
    const after = raw(child.address, '127.0.0.13', HELLO);
    after.socket.once('data', () => trickle(after.socket, encodeFrame(FrameType.PULL, 1, Buffer.from('obj')), 400));
    track([before, after]);

    const client = new DataPlaneClient({ token: TOKEN });
    cleanup.push(() => client.close());
    const start = performance.now();
    const got = await client.pull(child.address, 'obj', { timeoutMs: 15_000 });
    const servedMs = performance.now() - start;
    console.log(`a token holder was served 1 MiB in ${servedMs.toFixed(1)} ms past the flood`);
    expect(got.byteLength).toBe(1024 * 1024);
    expect(servedMs).toBeLessThan(5000);

    const stats = await childStats(child);
    console.log(`server: ${JSON.stringify(stats)}`);
    expect(stats.peakUnauthenticated).toBeLessThanOrEqual(256);
    // Most were closed at once; the rest held a place until their HELLO deadline (the flood takes seconds).
    expect(stats.turnedAway).toBeGreaterThan(n / 2);

    // Everything the attacker opened is closed: at once (over a cap) or by the HELLO deadline.
    const wait = helloTimeoutMs + 10_000;
    const replies = await within(
      Promise.all(idle.map((r) => r.closed)),
      wait,
      'the server closing the idle connections',
    );
    const lived = Math.max(...idle.map((r) => r.closedAt! - r.openedAt));
    console.log(`the longest-lived idle connection was closed after ${lived} ms (HELLO deadline ${helloTimeoutMs} ms)`);
    expect(lived).toBeLessThan(helloTimeoutMs + 5000);
    const timedOut = replies.filter((b) => errorReply(b)?.message === `no complete HELLO within ${helloTimeoutMs} ms`);
    expect(timedOut.length).toBeGreaterThan(0);
    expect(errorReply(await within(before.closed, wait, 'the HELLO slowloris closed'))).toEqual({
      code: WireErrorCode.UNAUTHENTICATED,
      message: `no complete HELLO within ${helloTimeoutMs} ms`,
    });
    // Authenticated, but a frame that never completes is not activity: closed as idle.
    expect(errorReply(await within(after.closed, wait, 'the PULL slowloris closed'))?.code).toBe(WireErrorCode.IDLE);
    expect(after.closedAt! - after.openedAt).toBeLessThan(idleTimeoutMs + 5000);
    await vi.waitFor(async () => expect((await childStats(child)).unauthenticated).toBe(0), { timeout: 5000 });
  }, 120_000);

  it('allocates nothing for large HELLOs or other frames before the HELLO (RSS per connection)', async () => {
    const limits = { maxUnauthenticated: 5000, maxUnauthenticatedPerAddress: 5000, helloTimeoutMs: 120_000 };
    const child = await startServerChild({}, TOKEN, limits);
    cleanup.push(() => child.proc.kill('SIGKILL'));
    const n = Math.min(1000, Math.floor((openFileLimit() - 1000) / 3));
    const buffers0 = (await childStats(child)).arrayBuffers;
    const rss0 = vmRssBytes(child.pid);
    // Held: a HELLO of an acceptable size, of which 10 bytes arrive.
    const held = await flood(child.address, ['127.0.0.2'], n, encodeHeader(FrameType.HELLO, 0, 1000));
    track(held);
    held.forEach((r) => r.socket.write(Buffer.alloc(10, 1)));
    await vi.waitFor(async () => expect((await childStats(child)).unauthenticated).toBe(n), { timeout: 10_000 });
    const buffers1 = (await childStats(child)).arrayBuffers;
    const rss1 = vmRssBytes(child.pid);
    // Announcing what the server used to allocate at once: a 60 KiB HELLO, a 60 KiB PULL before HELLO.
    const bigHello = await flood(child.address, ['127.0.0.3'], n, encodeHeader(FrameType.HELLO, 0, 60 * 1024));
    const bigPull = await flood(child.address, ['127.0.0.4'], n, encodeHeader(FrameType.PULL, 1, 60 * 1024));
    track([...bigHello, ...bigPull]);
    bigHello.forEach((r) => r.socket.write(Buffer.alloc(10, 1)));
    bigPull.forEach((r) => r.socket.write(Buffer.alloc(10, 1)));
    const refusedAtOnce = Promise.all([bigHello[0]!.closed, bigPull[0]!.closed]);
    const [hello, pull] = await within(refusedAtOnce, 10_000, 'refusing a 60 KiB HELLO and a PULL before HELLO');
    expect(errorReply(hello)?.message).toBe('malformed frame: HELLO frame of 61440 bytes exceeds the cap of 1024');
    expect(errorReply(pull)?.message).toBe('first frame must be HELLO, got PULL');
    await Promise.all([...bigHello, ...bigPull].map((r) => r.closed));
    // The server's side of a refused socket closes a moment after the client's.
    await vi.waitFor(async () => expect((await childStats(child)).unauthenticated).toBe(n), { timeout: 10_000 });
    const end = await childStats(child);
    const perHeld = (rss1 - rss0) / n;
    const buffersPerHeld = (buffers1 - buffers0) / n;
    console.log(
      `server: ${(perHeld / 1024).toFixed(1)} KiB of RSS and ${buffersPerHeld.toFixed(0)} bytes of buffers per held ` +
        `unauthenticated connection (${n}); buffers ${((end.arrayBuffers - buffers1) / 1024).toFixed(0)} KiB more ` +
        `after ${2 * n} that announced 60 KiB (RSS ${((vmRssBytes(child.pid) - rss1) / 1024 / 1024).toFixed(1)} MiB more)`,
    );
    expect(perHeld).toBeLessThan(16 * 1024);
    expect(buffersPerHeld).toBeLessThan(2 * 1024);
    // What the server used to allocate for them at once: 2 × 60 KiB × n.
    expect(end.arrayBuffers - buffers1).toBeLessThan(4 * 1024 * 1024);
  }, 120_000);

  it('caps unauthenticated connections per address and in all, and a new address still gets its turn', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
    const server = await DataPlaneServer.start({
      token: TOKEN,
      provider: (id) => (id === 'a' ? new Uint8Array(100) : undefined),
      log,
      limits: { maxUnauthenticated: 10, maxUnauthenticatedPerAddress: 4, helloTimeoutMs: 60_000 },
    });
    cleanup.push(() => server.close());
    const one = await flood(server.address, ['127.0.0.2'], 6);
    track(one);
    await vi.waitFor(() => expect(server.stats().turnedAway).toBe(2));
    expect(server.stats().unauthenticated).toBe(4);
    // Four more addresses, two each: the host cap (10) is reached without any dropping.
    const more = await flood(server.address, addresses(3, 3), 6);
    track(more);
    await vi.waitFor(() => expect(server.stats().unauthenticated).toBe(10));
    // A token holder from its own address takes the place of the heaviest address's oldest connection.
    const c = new DataPlaneClient({ token: TOKEN });
    cleanup.push(() => c.close());
    expect((await c.pull(server.address, 'a')).byteLength).toBe(100);
    await vi.waitFor(() => expect(one.filter((r) => r.closedAt !== undefined).length).toBe(3));
    expect(more.every((r) => r.closedAt === undefined)).toBe(true);
    expect(server.stats()).toMatchObject({ unauthenticated: 9, peakUnauthenticated: 10, turnedAway: 3 });
    // One line for the address: its first refusal; the rest are summed up (here when the server closes).
    expect(lines.length).toBe(1);
    expect(lines[0]).toContain('the cap of 4 connections per address not authenticated yet is reached');
    await server.close();
    expect(lines.length).toBe(2);
    const summary = JSON.parse(lines[1]!) as { msg: string; refused: number };
    expect(summary.refused).toBe(2);
    expect(summary.msg).toMatch(/^refused 2 more connections from 127\.0\.0\.2 in the last \d+ s: /);
    expect(summary.msg).toContain('dropped for a newer connection');
  });

  it('closes idle authenticated connections, and the client dials again on its next pull', async () => {
    const server = await DataPlaneServer.start({
      token: TOKEN,
      provider: () => new Uint8Array(10),
      log: silent,
      limits: { idleTimeoutMs: 300 },
    });
    cleanup.push(() => server.close());
    const c = new DataPlaneClient({ token: TOKEN });
    cleanup.push(() => c.close());
    await c.pull(server.address, 'x');
    expect(server.stats().connections).toBe(1);
    await vi.waitFor(() => expect(server.stats().connections).toBe(0), { timeout: 5000 });
    expect((await c.pull(server.address, 'x')).byteLength).toBe(10);
  });

  it('sends a pull again when it crossed the server closing the connection as idle', async () => {
    // The first connection answers the PULL with the idle notice, as a server does when the two cross.
    let accepted = 0;
    const fake = net.createServer((socket) => {
      const n = ++accepted;
      socket.on('error', () => undefined);
      socket.once('data', () => {
        socket.write(encodeFrame(FrameType.HELLO_OK, 0));
        if (n === 1) {
          socket.end(encodeFrame(FrameType.ERROR, 0, encodeError(WireErrorCode.IDLE, 'closed after 5 ms idle')));
        } else {
          socket.write(
            Buffer.concat([
              encodeFrame(FrameType.DATA_BEGIN, 1, Buffer.from([0, 0, 0, 0, 0, 0, 0, 3])),
              encodeFrame(FrameType.DATA, 1, Buffer.from('abc')),
              encodeFrame(FrameType.DATA_END, 1),
            ]),
          );
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => fake.close(r)));
    const c = new DataPlaneClient({ token: TOKEN });
    cleanup.push(() => c.close());
    const got = await c.pull(`127.0.0.1:${(fake.address() as net.AddressInfo).port}`, 'x');
    expect(Buffer.from(got).toString()).toBe('abc');
    expect(accepted).toBe(2);
    await sleep(0);
  });

  it('refuses a token that does not fit in a HELLO, on both sides', async () => {
    const long = 'x'.repeat(1025);
    expect(() => new DataPlaneClient({ token: long })).toThrow(/cluster token is 1025 bytes.*at most 1024/);
    await expect(DataPlaneServer.start({ token: long, provider: () => undefined })).rejects.toThrow(/at most 1024/);
  });
});
