import { createHash } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidArgumentError, TimeoutError, UnauthenticatedError, UnavailableError } from '../../src/common/errors.js';
import { DataPlaneClient, DataPlaneServer, type DataPlaneServerOptions } from '../../src/transport/data-plane/index.js';
import {
  DATA_PLANE,
  FrameError,
  FrameType,
  HEADER_BYTES,
  WireErrorCode,
  decodeError,
  encodeFrame,
  encodeHeader,
  encodeLength,
  frameRules,
} from '../../src/transport/data-plane/frames.js';
import { FrameParser } from '../../src/transport/framing/index.js';
import { startServerChild as startChild, vmRssBytes } from './server-child.js';
import { rawSocket } from '../fixtures/raw-socket.js';

const TOKEN = 'test-token';
const MiB = 1024 * 1024;
const startServerChild = (objects: Record<string, number>) => startChild(objects, TOKEN);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const silent = pino({ level: 'silent' });
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

/** A logger that keeps warnings in memory so tests can check what was logged. */
function capturingLog(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { lines, log: pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) }) };
}

/** What a server sent on a raw connection: DATA bytes and DATA_END per request id, and the last frame. */
function readFrames(bytes: Buffer): {
  dataBytes: Map<number, number>;
  ended: number[];
  last: { type: number; word: number; code?: number } | undefined;
} {
  const dataBytes = new Map<number, number>();
  const ended: number[] = [];
  let last: { type: number; word: number; code?: number } | undefined;
  const accepts = [FrameType.HELLO_OK, FrameType.DATA_BEGIN, FrameType.DATA, FrameType.DATA_END, FrameType.ERROR];
  const parser = new FrameParser(DATA_PLANE, frameRules(accepts), {
    control: (h, payload) => {
      if (h.type === FrameType.DATA_END) ended.push(h.word);
      last = { type: h.type, word: h.word };
      if (h.type === FrameType.ERROR) last.code = decodeError(payload).code;
    },
    begin: () => null,
    end: (h) => {
      dataBytes.set(h.word, (dataBytes.get(h.word) ?? 0) + h.length);
      last = { type: h.type, word: h.word };
    },
  });
  parser.push(bytes);
  expect(parser.midFrame()).toBeUndefined();
  return { dataBytes, ended, last };
}

describe('data plane', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  async function inProcessServer(
    objects: Map<string, Uint8Array | readonly Uint8Array[]>,
    log = silent,
    extra: Partial<DataPlaneServerOptions> = {},
  ) {
    const server = await DataPlaneServer.start({ token: TOKEN, provider: (id) => objects.get(id), log, ...extra });
    cleanup.push(() => server.close());
    return server;
  }
  function client(token = TOKEN) {
    const c = new DataPlaneClient({ token });
    cleanup.push(() => c.close());
    return c;
  }

  it('round-trips small and empty objects into exactly sized, aligned buffers', async () => {
    const small = pattern(1000, 7);
    const server = await inProcessServer(
      new Map([
        ['small', small],
        ['empty', new Uint8Array(0)],
        ['f64', new Uint8Array(new Float64Array([1.5, -2, 3e300]).buffer)],
      ]),
    );
    const c = client();
    const got = await c.pull(server.address, 'small');
    expect(Buffer.from(got).equals(Buffer.from(small))).toBe(true);
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(1000);
    const empty = await c.pull(server.address, 'empty');
    expect(empty.byteLength).toBe(0);
    const f64 = await c.pull(server.address, 'f64');
    expect(Array.from(new Float64Array(f64.buffer))).toEqual([1.5, -2, 3e300]);
  });

  it('moves 256 MiB between two processes intact (SHA-256), read straight into the destination', async () => {
    const child = await startServerChild({ big: 256 * MiB });
    cleanup.push(() => child.proc.kill('SIGKILL'));
    // Bytes the socket placed in the destination itself, which the parser only moves past.
    let placed = 0;
    const realAdvance = FrameParser.prototype.advance;
    const skip = vi.spyOn(FrameParser.prototype, 'advance').mockImplementation(function (this: FrameParser, n: number) {
      placed += n;
      realAdvance.call(this, n);
    });
    cleanup.push(() => skip.mockRestore());
    const got = await client().pull(child.address, 'big', { timeoutMs: 120_000 });
    expect(got.byteLength).toBe(256 * MiB);
    expect(got.byteOffset).toBe(0);
    expect(sha(got)).toBe(child.sha256.big);
    // Only what arrived in the same read as a frame header was copied from scratch.
    expect(placed).toBeGreaterThan(0.9 * 256 * MiB);
  });

  it('serves several concurrent pulls on one connection', async () => {
    const objects = new Map<string, Uint8Array>(
      Array.from({ length: 6 }, (_, i) => [`o${i}`, pattern(i * 1.5 * MiB + 17, i)] as const),
    );
    const server = await inProcessServer(objects);
    const c = client();
    const got = await Promise.all([...objects.keys(), 'o3', 'o0'].map((id) => c.pull(server.address, id)));
    got.forEach((g, i) => {
      const id = [...objects.keys(), 'o3', 'o0'][i]!;
      expect(sha(g)).toBe(sha(objects.get(id)!));
    });
    expect(server.stats().connections).toBe(1);
  });

  it('sends a list of parts as one object equal to their concatenation', async () => {
    // Odd sizes, zero-length parts at the start, middle and end, and parts spanning DATA frames.
    const parts = [
      new Uint8Array(0),
      pattern(13, 1),
      pattern(1, 2),
      new Uint8Array(0),
      pattern(3 * MiB + 5, 3),
      pattern(1021, 4),
      new Uint8Array(0),
    ];
    const whole = Buffer.concat(parts);
    const objects = new Map<string, readonly Uint8Array[]>([
      ['parts', parts],
      ['one', [pattern(77, 5)]],
      ['none', []],
      ['empties', [new Uint8Array(0), new Uint8Array(0)]],
    ]);
    for (const chunkBytes of [undefined, 1000]) {
      const server = await inProcessServer(objects, silent, chunkBytes === undefined ? {} : { chunkBytes });
      const c = client();
      const got = await c.pull(server.address, 'parts');
      expect(got.byteLength).toBe(whole.byteLength);
      expect(got.byteOffset).toBe(0);
      expect(got.buffer.byteLength).toBe(whole.byteLength);
      expect(sha(got)).toBe(sha(whole));
      expect(sha(await c.pull(server.address, 'one'))).toBe(sha(objects.get('one')![0]!));
      expect((await c.pull(server.address, 'none')).byteLength).toBe(0);
      expect((await c.pull(server.address, 'empties')).byteLength).toBe(0);
    }
  });

  it('calls onServed once per completed transfer, and keeps serving when it throws', async () => {
    const served: string[] = [];
    const { log, lines } = capturingLog();
    const objects = new Map<string, Uint8Array | readonly Uint8Array[]>([
      ['a', [pattern(10, 1), pattern(3 * MiB, 2)]],
      ['b', pattern(5, 3)],
      ['empty', []],
    ]);
    const server = await inProcessServer(objects, log, {
      onServed: (id) => {
        served.push(id);
        throw new Error('freeing failed');
      },
    });
    const c = client();
    await Promise.all([
      c.pull(server.address, 'a'),
      c.pull(server.address, 'b'),
      c.pull(server.address, 'a'),
      c.pull(server.address, 'empty'),
    ]);
    await c.pull(server.address, 'missing').catch(() => undefined);
    expect(sha(await c.pull(server.address, 'b'))).toBe(sha(objects.get('b') as Uint8Array));
    expect(served.sort()).toEqual(['a', 'a', 'b', 'b', 'empty']);
    expect(lines.join('')).toContain('onServed threw');
    expect(server.stats().connections).toBe(1);
  });

  it('stops sending a cancelled transfer and does not call onServed for it', async () => {
    const served: string[] = [];
    const objects = new Map<string, Uint8Array | readonly Uint8Array[]>([
      ['big', [pattern(MiB, 1), new Uint8Array(63 * MiB)]],
      ['small', pattern(100, 2)],
    ]);
    // The server closes a connection as idle only once nothing is in flight on it, so when it
    // closes this one, everything it would ever send for either pull has been sent.
    const server = await inProcessServer(objects, silent, {
      onServed: (id) => void served.push(id),
      limits: { idleTimeoutMs: 300 },
    });
    const { socket, closed } = rawSocket(server.address);
    cleanup.push(() => socket.destroy());
    socket.pause();
    // 64 MiB cannot all fit in the socket buffers of a client that is not reading, so the CANCEL
    // that follows in the same write reaches the server while the transfer is still going.
    socket.write(
      Buffer.concat([
        encodeFrame(FrameType.HELLO, 0, Buffer.from(TOKEN)),
        encodeFrame(FrameType.PULL, 1, Buffer.from('big')),
        encodeFrame(FrameType.CANCEL, 1),
        encodeFrame(FrameType.PULL, 2, Buffer.from('small')),
      ]),
    );
    await sleep(100);
    socket.resume();
    const wire = readFrames(await closed);
    expect(wire.ended).toEqual([2]);
    expect(wire.dataBytes.get(2)).toBe(100);
    expect(wire.dataBytes.get(1) ?? 0).toBeLessThan(64 * MiB);
    // The connection ended with the server's idle notice, not cut short before it.
    expect(wire.last).toMatchObject({ type: FrameType.ERROR, word: 0, code: WireErrorCode.IDLE });
    expect(served).toEqual(['small']);
  });

  it('interleaves many concurrent pulls of single and multi-part objects on one connection', async () => {
    const objects = new Map<string, Uint8Array | readonly Uint8Array[]>();
    const expected = new Map<string, string>();
    for (let i = 0; i < 8; i++) {
      const parts =
        i % 2 === 0
          ? [pattern(i * 300_001 + 3, i)]
          : [pattern(i * 100_003, i), new Uint8Array(0), pattern(777 * i + 1, i + 50)];
      objects.set(`o${i}`, i % 4 === 0 ? parts[0]! : parts);
      expected.set(`o${i}`, sha(Buffer.concat(parts)));
    }
    // 64 MiB in frames of 64 KiB, round robin with the others, cannot all arrive within 1 ms.
    objects.set('quitter', [pattern(MiB, 9), new Uint8Array(63 * MiB)]);
    const served: string[] = [];
    // An odd frame size, so frames of different pulls alternate often and end at odd offsets.
    const server = await inProcessServer(objects, silent, {
      chunkBytes: 65_537,
      onServed: (id) => void served.push(id),
      limits: { idleTimeoutMs: 300 },
    });
    const c = client();
    const ids = [...Array.from({ length: 8 }, (_, i) => `o${i}`), 'o3', 'o1', 'o6'];
    // One pull gives up at once: its CANCEL and its dropped frames must not disturb the rest.
    const quitter = c.pull(server.address, 'quitter', { timeoutMs: 1 }).then(
      (b) => `arrived whole (${b.byteLength} bytes)`,
      (e: unknown) => e,
    );
    const got = await Promise.all(ids.map((id) => c.pull(server.address, id)));
    got.forEach((g, i) => expect(sha(g), ids[i]).toBe(expected.get(ids[i]!)));
    expect(await quitter).toBeInstanceOf(TimeoutError);
    expect(sha(await c.pull(server.address, 'o5'))).toBe(expected.get('o5'));
    expect(server.stats().connections).toBe(1);
    // Once the server had nothing left in flight it closed the connection as idle; the quitter's
    // transfer was cancelled, so it never finished.
    await vi.waitFor(() => expect(server.stats().connections).toBe(0), { timeout: 10_000 });
    expect(served).not.toContain('quitter');
  });

  it('keeps the server bounded under a slow consumer (RSS of a 512 MiB server child)', async () => {
    const child = await startServerChild({ huge: 512 * MiB });
    cleanup.push(() => child.proc.kill('SIGKILL'));
    const base = vmRssBytes(child.pid);
    const { socket } = rawSocket(child.address);
    cleanup.push(() => socket.destroy());
    socket.pause();
    socket.write(encodeFrame(FrameType.HELLO, 0, Buffer.from(TOKEN)));
    socket.write(encodeFrame(FrameType.PULL, 1, Buffer.from('huge')));
    expect(await child.nextLine()).toBe('pull huge');
    let peak = base;
    for (let i = 0; i < 40; i++) {
      // Alternate: stalled, then a short burst of reading.
      if (i % 4 === 3) socket.resume();
      else socket.pause();
      await sleep(25);
      peak = Math.max(peak, vmRssBytes(child.pid));
    }
    expect(peak - base).toBeLessThan(64 * MiB);
  });

  it('stops writing into a socket that is not drained (in-process queue bound)', async () => {
    const server = await inProcessServer(new Map([['x', new Uint8Array(64 * MiB)]]));
    const { socket } = rawSocket(server.address);
    cleanup.push(() => socket.destroy());
    socket.pause();
    socket.write(encodeFrame(FrameType.HELLO, 0, Buffer.from(TOKEN)));
    socket.write(encodeFrame(FrameType.PULL, 1, Buffer.from('x')));
    await sleep(300);
    expect(server.stats().peakQueuedBytes).toBeLessThan(4 * MiB);
  });

  it('rejects a pull at once with UnavailableError when the server is killed mid-transfer', async () => {
    const child = await startServerChild({ huge: 512 * MiB });
    const other = await inProcessServer(new Map([['ok', pattern(10, 1)]]));
    const c = client();
    const pulling = c.pull(child.address, 'huge', { timeoutMs: 600_000 });
    pulling.catch(() => undefined);
    expect(await child.nextLine()).toBe('pull huge');
    const killedAt = Date.now();
    child.proc.kill('SIGKILL');
    const err = await pulling.then(
      () => undefined,
      (e: unknown) => e,
    );
    // The alternative is waiting out the pull's 600 s timeout.
    expect(Date.now() - killedAt).toBeLessThan(4000);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toContain(child.address);
    expect((await c.pull(other.address, 'ok')).byteLength).toBe(10);
  });

  it('refuses a wrong token, logs it, and keeps serving others', async () => {
    const { log, lines } = capturingLog();
    const server = await inProcessServer(new Map([['a', pattern(100, 3)]]), log);
    const err = await client('wrong')
      .pull(server.address, 'a')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnauthenticatedError);
    expect(lines.join('')).toContain('wrong cluster token');
    // A first frame that is not HELLO is refused the same way.
    const raw = rawSocket(server.address);
    raw.socket.write(encodeFrame(FrameType.PULL, 1, Buffer.from('a')));
    const reply = await raw.closed;
    expect(reply.readUInt8(5)).toBe(FrameType.ERROR);
    expect(reply.toString('utf8', HEADER_BYTES + 2)).toContain('first frame must be HELLO');
    expect((await client().pull(server.address, 'a')).byteLength).toBe(100);
  });

  it('closes connections that send malformed frames and keeps serving', async () => {
    const { log, lines } = capturingLog();
    const server = await inProcessServer(new Map([['a', pattern(100, 3)]]), log);
    const garbage = rawSocket(server.address);
    garbage.socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await garbage.closed;
    const hello = encodeFrame(FrameType.HELLO, 0, Buffer.from(TOKEN));
    const absurd = rawSocket(server.address);
    absurd.socket.write(Buffer.concat([hello, encodeHeader(FrameType.PULL, 1, 2 ** 40)]));
    await absurd.closed;
    const longId = rawSocket(server.address);
    longId.socket.write(Buffer.concat([hello, encodeFrame(FrameType.PULL, 1, Buffer.alloc(5000, 97))]));
    await longId.closed;
    const unknown = rawSocket(server.address);
    const bad = encodeHeader(FrameType.PULL, 1, 0);
    bad.writeUInt8(99, 5);
    unknown.socket.write(Buffer.concat([hello, bad]));
    await unknown.closed;
    const text = lines.join('');
    for (const why of [
      'bad magic',
      'exceeds the cap',
      'object id of 5000 bytes',
      'unexpected frame type unknown(99)',
    ]) {
      expect(text).toContain(why);
    }
    expect((await client().pull(server.address, 'a')).byteLength).toBe(100);
  });

  it('fails pulls from a server that breaks the protocol', async () => {
    const replies: Record<string, (id: number) => Buffer> = {
      overrun: (id) =>
        Buffer.concat([
          encodeFrame(FrameType.DATA_BEGIN, id, encodeLength(10)),
          encodeFrame(FrameType.DATA, id, Buffer.alloc(20)),
        ]),
      'overrun-later': (id) =>
        Buffer.concat([
          encodeFrame(FrameType.DATA_BEGIN, id, encodeLength(10)),
          encodeFrame(FrameType.DATA, id, Buffer.alloc(6)),
          encodeFrame(FrameType.DATA, id, Buffer.alloc(6)),
        ]),
      short: (id) =>
        Buffer.concat([
          encodeFrame(FrameType.DATA_BEGIN, id, encodeLength(10)),
          encodeFrame(FrameType.DATA, id, Buffer.alloc(4)),
          encodeFrame(FrameType.DATA_END, id),
        ]),
      'no-begin': (id) => encodeFrame(FrameType.DATA, id, Buffer.alloc(4)),
      'bad-magic': () => Buffer.alloc(HEADER_BYTES, 1),
      'pull-frame': (id) => encodeFrame(FrameType.PULL, id, Buffer.from('x')),
    };
    const fake = net.createServer((socket) => {
      socket.on('error', () => undefined);
      const decoder = new FrameParser(DATA_PLANE, frameRules([FrameType.HELLO, FrameType.PULL, FrameType.CANCEL]), {
        control: (h, payload) => {
          if (h.type === FrameType.HELLO) socket.write(encodeFrame(FrameType.HELLO_OK, 0));
          if (h.type === FrameType.PULL) socket.write(replies[payload.toString()]!(h.word));
        },
        begin: () => null,
        end: () => undefined,
      });
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => fake.close(r)));
    const address = `127.0.0.1:${(fake.address() as net.AddressInfo).port}`;
    for (const [name, why] of [
      ['overrun', 'beyond its announced length'],
      ['overrun-later', 'beyond its announced length'],
      ['short', 'DATA_END for request 1 after 4 of 10 bytes'],
      ['no-begin', 'beyond its announced length'],
      ['bad-magic', 'bad magic'],
      ['pull-frame', 'unexpected frame type PULL'],
    ] as const) {
      const err = await client()
        .pull(address, name)
        .catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(UnavailableError);
      expect((err as Error).message, name).toContain('broke the protocol');
      expect((err as Error).message, name).toContain(why);
    }
  });

  it('fails pulls from a raw attacker with an error naming what was wrong, and keeps working', async () => {
    // After HELLO and PULL, the attacker answers with these bytes and closes the connection.
    const begin = (id: number) => encodeFrame(FrameType.DATA_BEGIN, id, encodeLength(10));
    const replies: Record<string, (id: number) => Buffer> = {
      'cut-data': (id) => Buffer.concat([begin(id), encodeHeader(FrameType.DATA, id, 10), Buffer.alloc(4)]),
      'cut-header': (id) => Buffer.concat([begin(id), encodeHeader(FrameType.DATA, id, 10).subarray(0, 7)]),
      'cut-control': (id) => encodeFrame(FrameType.DATA_BEGIN, id, encodeLength(10)).subarray(0, HEADER_BYTES + 3),
      oversize: (id) => Buffer.concat([begin(id), encodeHeader(FrameType.DATA, id, 2 ** 40)]),
      'oversize-control': (id) => encodeHeader(FrameType.ERROR, id, 2 ** 20),
      garbage: () => Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'),
    };
    let accepted = 0;
    const fake = net.createServer((socket) => {
      accepted++;
      socket.on('error', () => undefined);
      const parser = new FrameParser(DATA_PLANE, frameRules([FrameType.HELLO, FrameType.PULL, FrameType.CANCEL]), {
        control: (h, payload) => {
          if (h.type === FrameType.HELLO) socket.write(encodeFrame(FrameType.HELLO_OK, 0));
          if (h.type === FrameType.PULL) socket.end(replies[payload.toString()]!(h.word));
        },
        begin: () => null,
        end: () => undefined,
      });
      socket.on('data', (chunk: Buffer) => parser.push(chunk));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => fake.close(r)));
    const address = `127.0.0.1:${(fake.address() as net.AddressInfo).port}`;
    const c = client();
    for (const [name, why] of [
      ['cut-data', 'connection closed in the middle of a DATA frame (4 of 10 payload bytes)'],
      ['cut-header', 'connection closed after 7 of the 20 bytes of a frame header'],
      ['cut-control', 'connection closed in the middle of a DATA_BEGIN frame (3 of 8 payload bytes)'],
      ['oversize', 'broke the protocol: DATA frame of 1099511627776 bytes exceeds the cap of 67108864'],
      ['oversize-control', 'broke the protocol: ERROR frame of 1048576 bytes exceeds the cap of 65536'],
      ['garbage', "broke the protocol: bad magic 'HTTP' (expected 'TRDP', a data-plane frame)"],
    ] as const) {
      const before = accepted;
      const err = await c.pull(address, name).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(UnavailableError);
      expect((err as Error).message, name).toContain(address);
      expect((err as Error).message, name).toContain(why);
      // The broken connection is gone: the next pull dials a new one.
      expect(accepted, name).toBe(before + 1);
    }
    const server = await inProcessServer(new Map([['ok', pattern(10, 1)]]));
    expect((await c.pull(server.address, 'ok')).byteLength).toBe(10);
  });

  it('drops raw attackers of the server, saying why, and holds no connection of theirs', async () => {
    const { log, lines } = capturingLog();
    const server = await inProcessServer(new Map([['a', pattern(100, 3)]]), log);
    const hello = encodeFrame(FrameType.HELLO, 0, Buffer.from(TOKEN));
    const cut = rawSocket(server.address);
    const pull = encodeFrame(FrameType.PULL, 1, Buffer.from('abc'));
    cut.socket.end(Buffer.concat([hello, pull.subarray(0, HEADER_BYTES + 1)]));
    await cut.closed;
    const absurd = rawSocket(server.address);
    absurd.socket.write(Buffer.concat([hello, encodeHeader(FrameType.PULL, 1, 2 ** 40)]));
    const garbage = rawSocket(server.address);
    garbage.socket.write(Buffer.from('\x16\x03\x01 TLS hello, not a frame'));
    for (const [raw, why] of [
      [absurd, 'PULL frame of 1099511627776 bytes exceeds the cap of 65536'],
      [garbage, "bad magic 0x16030120 (expected 'TRDP', a data-plane frame)"],
    ] as const) {
      // The attacker is told why, in an ERROR frame for the whole connection.
      const reply = await raw.closed;
      const at = reply.lastIndexOf(encodeHeader(FrameType.ERROR, 0, 0).subarray(0, 6));
      expect(reply.readUInt8(at + 5)).toBe(FrameType.ERROR);
      expect(reply.toString('utf8', at + HEADER_BYTES + 2)).toBe(`malformed frame: ${why}`);
    }
    const text = lines.join('');
    expect(text).toContain('closed in the middle of a PULL frame (1 of 3 payload bytes)');
    await vi.waitFor(() => expect(server.stats().connections).toBe(0));
    expect((await client().pull(server.address, 'a')).byteLength).toBe(100);
  });

  it('tells where a DATA payload stands, and skips bytes placed by the owner', () => {
    const seen: Array<[number, string]> = [];
    const controls: number[] = [];
    let dest = Buffer.alloc(0);
    const d = new FrameParser(DATA_PLANE, frameRules([FrameType.DATA, FrameType.DATA_END]), {
      control: (h) => controls.push(h.type),
      // Each payload lands in a buffer of dots, so what the parser copied shows, and what it skipped does not.
      begin: (h) => (dest = Buffer.alloc(h.length, '.')),
      end: (h) => seen.push([h.word, dest.toString()]),
    });
    expect(d.payloadLeft).toBe(0);
    const data = encodeFrame(FrameType.DATA, 7, Buffer.from('abcdefghij'));
    d.push(data.subarray(0, HEADER_BYTES - 3)); // a header split across reads
    expect(d.payloadLeft).toBe(0);
    d.push(data.subarray(HEADER_BYTES - 3, HEADER_BYTES + 2));
    expect([d.payloadLeft, d.frame?.word]).toEqual([8, 7]);
    d.advance(5);
    expect(d.payloadLeft).toBe(3);
    expect(() => d.advance(4)).toThrow(RangeError);
    d.advance(3);
    expect(d.payloadLeft).toBe(0);
    d.push(Buffer.concat([encodeFrame(FrameType.DATA_END, 7), encodeFrame(FrameType.DATA, 9, Buffer.from('xyz'))]));
    expect([d.payloadLeft, d.frame]).toEqual([0, undefined]); // a complete frame leaves nothing under way
    expect(seen).toEqual([
      [7, 'ab........'],
      [9, 'xyz'],
    ]);
    expect(controls).toEqual([FrameType.DATA_END]);
    expect(() => d.push(encodeFrame(FrameType.HELLO, 0))).toThrow(FrameError);
  });

  it('has onread land a long payload in its destination and the rest in scratch', () => {
    let dest = new Uint8Array(0);
    const ends: number[] = [];
    const p = new FrameParser(DATA_PLANE, frameRules([FrameType.DATA, FrameType.DATA_END]), {
      control: (h) => ends.push(-h.word),
      begin: (h) => (dest = new Uint8Array(h.length)),
      end: (h) => ends.push(h.word),
    });
    const payload = pattern(100_000, 3);
    const wire = Buffer.concat([encodeFrame(FrameType.DATA, 4, payload), encodeFrame(FrameType.DATA_END, 4)]);
    // Plays the socket: fills whatever buffer the parser asks for from `wire`.
    let at = 0;
    let direct = 0;
    while (at < wire.length) {
      const buf = p.readBuffer();
      const n = Math.min(buf.length, wire.length - at);
      buf.set(wire.subarray(at, at + n));
      if (buf.buffer === dest.buffer) direct += n;
      at += n;
      p.onRead(n, buf);
    }
    expect(Buffer.from(dest).equals(Buffer.from(payload))).toBe(true);
    expect(ends).toEqual([4, -4]);
    // Only the lookahead read with the header went through scratch.
    expect(direct).toBeGreaterThan(payload.length - 4096);
  });

  it('names the object id when it is missing', async () => {
    const server = await inProcessServer(new Map());
    const err = await client()
      .pull(server.address, 'obj-404')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toContain('obj-404');
    expect((err as Error).message).toContain(server.address);
  });

  it('times out with TimeoutError naming the object and the address', async () => {
    const silentPeer = net.createServer(() => undefined);
    await new Promise<void>((r) => silentPeer.listen(0, '127.0.0.1', r));
    const sockets = new Set<net.Socket>();
    silentPeer.on('connection', (s) => sockets.add(s));
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => silentPeer.close(r));
    });
    const address = `127.0.0.1:${(silentPeer.address() as net.AddressInfo).port}`;
    const err = await client()
      .pull(address, 'slow-obj', { timeoutMs: 200 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toContain('slow-obj');
    expect((err as Error).message).toContain(address);
  });

  it('rejects with UnavailableError naming the address when nothing listens', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(probe.address() as net.AddressInfo).port}`;
    await new Promise((r) => probe.close(r));
    const err = await client()
      .pull(address, 'x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toContain(address);
  });
});
