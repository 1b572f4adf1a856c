/**
 * Raw-TCP attackers against the collective links on the shared framed-TCP codec: a truncated
 * frame, a header announcing an oversize length, garbage bytes. Each is met with a TroupeError (or,
 * during the handshake, a logged refusal) that names what was wrong; the transport keeps working.
 */
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { TroupeError, UnavailableError } from '../../src/common/errors.js';
import { TcpPeerTransport } from '../../src/collective/index.js';
import { COLLECTIVE, CollectiveFrame, DTYPE_F32 } from '../../src/collective/wire.js';
import { encodeFrame, encodeHeader } from '../../src/transport/framing/index.js';

const TOKEN = 'attack-token';
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function capturingLog(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  return { text: () => lines.join(''), log: pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) }) };
}

function hello(rank: number, size: number, token = TOKEN): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(rank, 0);
  p.writeUInt32BE(size, 4);
  return encodeFrame(COLLECTIVE, CollectiveFrame.HELLO, 0, Buffer.concat([p, Buffer.from(token)]));
}

/** A DATA frame's header and tag, with `payload` after them (possibly less than `announced`). */
function data(tag: string, announced: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const t = Buffer.from(tag);
  return Buffer.concat([encodeHeader(COLLECTIVE, CollectiveFrame.DATA, t.length, announced, DTYPE_F32), t, payload]);
}

async function transport(rank: number, size: number, log?: pino.Logger): Promise<TcpPeerTransport> {
  const t = await TcpPeerTransport.create({ rank, size, token: TOKEN, ...(log ? { log } : {}) });
  cleanup.push(() => t.close());
  return t;
}

/** Writes `bytes` to `address` on a raw socket; resolves once the other side closed it. */
function rawWrite(address: string, bytes: Buffer, end = false): Promise<void> {
  const socket = net.connect(Number(address.split(':')[1]), '127.0.0.1');
  socket.on('error', () => undefined);
  socket.on('connect', () => (end ? socket.end(bytes) : socket.write(bytes)));
  socket.resume();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * A hand-made rank 0 that the real rank 1 dials: it answers the HELLO, then writes `attack` on
 * that connection (the one rank 1 reads), optionally closing it after.
 */
async function fakeRankZero(real: TcpPeerTransport): Promise<{ attack(bytes: Buffer, close: boolean): void }> {
  let linked!: (s: net.Socket) => void;
  const socket = new Promise<net.Socket>((r) => (linked = r));
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    s.once('data', () => {
      s.write(hello(0, 2));
      linked(s);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise((r) => server.close(r)));
  const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  // It never dials back, so connect times out; the link rank 1 dialed is up long before.
  real.connect([address, real.address], { timeoutMs: 5_000 }).catch(() => undefined);
  const s = await socket;
  cleanup.push(() => s.destroy());
  await new Promise((r) => setTimeout(r, 50)); // rank 1 has read the HELLO reply
  return {
    attack: (bytes, close) => (close ? s.end(bytes) : s.write(bytes)),
  };
}

describe('collective link attackers', () => {
  const cases: Array<[string, Buffer, boolean, RegExp]> = [
    [
      'a DATA frame cut short',
      data('t', 4000, Buffer.alloc(400)),
      true,
      /^rank 0 closed its connection to rank 1 in the middle of a DATA frame \(400 of 4000 payload bytes\)$/,
    ],
    ['a header cut short', data('t', 4000).subarray(0, 7), true, /after 7 of the 20 bytes of a frame header/],
    [
      'a DATA header announcing 1 TiB',
      data('t', 2 ** 40),
      false,
      /rank 0 sent a malformed frame: DATA frame of 1099511627776 bytes exceeds the cap/,
    ],
    [
      'an oversize tag',
      encodeHeader(COLLECTIVE, CollectiveFrame.DATA, 1 << 20, 4, DTYPE_F32),
      false,
      /prefix of 1048576 bytes exceeds the cap of 4096/,
    ],
    [
      'garbage',
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      false,
      /rank 0 sent a malformed frame: bad magic 'GET ' \(expected 'TRCL'/,
    ],
    [
      'an unknown dtype',
      Buffer.concat([encodeHeader(COLLECTIVE, CollectiveFrame.DATA, 0, 4, 9), Buffer.alloc(4)]),
      false,
      /unknown dtype 9/,
    ],
  ];
  for (const [what, bytes, close, why] of cases) {
    for (const how of ['recv', 'recvInto'] as const) {
      it(`${what} fails a pending ${how} with an UnavailableError naming it`, async () => {
        const real = await transport(1, 2, pino({ level: 'silent' }));
        const peer = await fakeRankZero(real);
        const dest = new Float32Array(1000);
        const pending = (how === 'recv' ? real.recv(0, 't', 10_000) : real.recvInto(0, 't', dest, 10_000)).catch(
          (e: unknown) => e,
        );
        peer.attack(bytes, close);
        const err = await pending;
        expect(err).toBeInstanceOf(UnavailableError);
        expect(err).toBeInstanceOf(TroupeError);
        expect((err as Error).message).toMatch(why);
        // Later recvs from it fail at once, with the same reason.
        await expect(real.recv(0, 'later', 60_000)).rejects.toThrow(why);
      });
    }
  }

  it('refuses attackers during the handshake, saying why, and still connects the real peers', async () => {
    const { log, text } = capturingLog();
    const [a, b] = [await transport(0, 2), await transport(1, 2, log)];
    await rawWrite(b.address, hello(0, 2).subarray(0, 30), true);
    const big = encodeHeader(COLLECTIVE, CollectiveFrame.HELLO, 0, 2 ** 40);
    await rawWrite(b.address, big);
    await rawWrite(b.address, Buffer.alloc(64, 1));
    await rawWrite(b.address, data('x', 4, Buffer.alloc(4)));
    for (const why of [
      'closed during the handshake, in the middle of a HELLO frame (10 of 20 payload bytes)',
      'HELLO frame of 1099511627776 bytes exceeds the cap of 65536',
      "bad magic 0x01010101 (expected 'TRCL', a collective frame)",
      'unexpected frame type DATA',
    ]) {
      expect(text()).toContain(why);
    }
    const addresses = [a.address, b.address];
    await Promise.all([a.connect(addresses, { timeoutMs: 10_000 }), b.connect(addresses, { timeoutMs: 10_000 })]);
    await a.send(1, 'ok', Float32Array.of(42));
    expect(Array.from(await b.recv(0, 'ok', 5_000))).toEqual([42]);
  });

  it('logs thousands of wrong-token HELLOs in a few lines, counting them all, and caps sockets mid-handshake', async () => {
    const { log, text } = capturingLog();
    const [a, b] = [await transport(0, 2), await transport(1, 2, log)];
    const N = 2000;
    for (let i = 0; i < N; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () => rawWrite(b.address, hello(0, 2, 'wrong'), true)));
    }
    // Idle sockets past the cap (64 for a group of 2) are dropped at once, with their reason.
    const idle = Array.from({ length: 100 }, () => {
      const s = net.connect(Number(b.address.split(':')[1]), '127.0.0.1');
      s.on('error', () => undefined);
      return s;
    });
    await Promise.all(idle.map((s) => new Promise((r) => s.once('connect', r))));
    const closedWithin = (s: net.Socket, ms: number) =>
      new Promise<boolean>((r) => {
        s.once('close', () => r(true));
        setTimeout(() => r(false), ms);
      });
    const dropped = await Promise.all(idle.map((s) => closedWithin(s, 1000)));
    expect(dropped.filter(Boolean).length).toBeGreaterThanOrEqual(30);
    expect(text()).toContain('more than 64 connections mid-handshake');
    for (const s of idle) s.destroy();
    await b.close(); // writes the summary of what it counted
    const lines = text().trim().split('\n');
    console.log(`${N} wrong HELLOs and 100 idle sockets: ${lines.length} log lines, ${text().length} bytes`);
    expect(lines.length).toBeLessThan(10);
    const counted = lines
      .map((l) => JSON.parse(l) as { msg: string; reasons?: Record<string, number> })
      .reduce((n, l) => n + (l.reasons?.['wrong token'] ?? 0), 0);
    expect(counted + 1).toBe(N); // the first one had a line of its own
    await a.close();
  });
});
