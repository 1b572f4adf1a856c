/**
 * The data plane's count frames (BORROW, RELEASE, FREE) and its OWNER_DIED answer: what a token
 * holder's client sends arrives decoded and in order; raw attackers get the same treatment as for
 * a PULL (refused before the HELLO, a clear ERROR naming the frame for a bad payload); a count for
 * an unknown id is ignored and the connection kept; counts that crossed an idle notice are sent again.
 */
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OwnerDiedError } from '../../src/common/errors.js';
import { DataPlaneClient, DataPlaneServer, type DataPlaneServerOptions } from '../../src/transport/data-plane/index.js';
import {
  FrameType,
  HEADER_BYTES,
  WireErrorCode,
  decodeIds,
  encodeError,
  encodeFrame,
  encodeHeader,
  encodeIds,
} from '../../src/transport/data-plane/frames.js';
import { rawSocket } from '../fixtures/raw-socket.js';

const TOKEN = 'count-token';
const silent = pino({ level: 'silent' });
const hello = encodeFrame(FrameType.HELLO, 0, Buffer.from(TOKEN));

/** The code and message of the last ERROR frame for the whole connection in `reply`. */
function lastError(reply: Buffer): { code: number; message: string } {
  const at = reply.lastIndexOf(encodeHeader(FrameType.ERROR, 0, 0).subarray(0, 6));
  expect(at).toBeGreaterThanOrEqual(0);
  return { code: reply.readUInt16BE(at + HEADER_BYTES), message: reply.toString('utf8', at + HEADER_BYTES + 2) };
}

describe('data-plane count frames', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  async function server(extra: Partial<DataPlaneServerOptions> = {}) {
    const counted: Array<[string, string[]]> = [];
    const s = await DataPlaneServer.start({
      token: TOKEN,
      provider: (id) => (id === 'a' ? new Uint8Array(10) : undefined),
      counts: (kind, ids) => counted.push([kind, ids]),
      log: silent,
      ...extra,
    });
    cleanup.push(() => s.close());
    return { s, counted };
  }

  it('delivers a client’s counts decoded, in the order sent, batching many ids', async () => {
    const { s, counted } = await server();
    const c = new DataPlaneClient({ token: TOKEN });
    cleanup.push(() => c.close());
    const many = Array.from({ length: 5000 }, (_, i) => `obj-${i}-${'x'.repeat(20)}`);
    c.count(s.address, 'BORROW', ['a', 'é✓']);
    c.count(s.address, 'RELEASE', ['a']);
    c.count(s.address, 'FREE', many);
    c.count(s.address, 'BORROW', ['z']);
    await vi.waitFor(() => expect(counted.at(-1)).toEqual(['BORROW', ['z']]));
    expect(counted[0]).toEqual(['BORROW', ['a', 'é✓']]);
    expect(counted[1]).toEqual(['RELEASE', ['a']]);
    const frees = counted.slice(2, -1);
    expect(frees.length).toBeGreaterThan(1); // over 64 KiB of ids: several frames
    expect(frees.every(([k]) => k === 'FREE')).toBe(true);
    expect(frees.flatMap(([, ids]) => ids)).toEqual(many);
    // The pulls on that connection still work.
    expect((await c.pull(s.address, 'a')).byteLength).toBe(10);
  });

  it('refuses every count frame before the HELLO, as a PULL, from its header alone', async () => {
    const { s, counted } = await server();
    for (const [type, name] of [
      [FrameType.BORROW, 'BORROW'],
      [FrameType.RELEASE, 'RELEASE'],
      [FrameType.FREE, 'FREE'],
    ] as const) {
      const raw = rawSocket(s.address);
      // A header announcing a large payload: refused before any of it is read or stored.
      raw.socket.write(encodeHeader(type, 0, 60_000));
      const e = lastError(await raw.closed);
      expect(e.code).toBe(WireErrorCode.UNAUTHENTICATED);
      expect(e.message).toBe(`first frame must be HELLO, got ${name}`);
    }
    expect(counted).toEqual([]);
  });

  it('closes a token holder’s connection with an ERROR naming the frame for an oversize or malformed payload', async () => {
    const { s, counted } = await server();
    const cases: Array<[Buffer, string]> = [
      [
        encodeHeader(FrameType.BORROW, 0, 70_000),
        'malformed frame: BORROW frame of 70000 bytes exceeds the cap of 65536',
      ],
      [
        encodeFrame(FrameType.RELEASE, 0, Buffer.from([0])),
        'malformed frame: RELEASE payload ends inside the length of object id 0',
      ],
      [
        encodeFrame(FrameType.FREE, 0, Buffer.concat([encodeIds(['ok'])[0]!, Buffer.from([0, 9, 97])])),
        'malformed frame: FREE payload ends inside object id 1 (9 bytes announced)',
      ],
      [
        encodeFrame(FrameType.BORROW, 0, Buffer.concat([Buffer.from([0x13, 0x88]), Buffer.alloc(5000, 97)])),
        'malformed frame: BORROW payload: object id 0 of 5000 bytes exceeds 4096',
      ],
      [
        encodeFrame(FrameType.RELEASE, 0),
        'malformed frame: RELEASE payload is empty (it must hold at least one object id)',
      ],
    ];
    for (const [frame, why] of cases) {
      const raw = rawSocket(s.address);
      raw.socket.write(Buffer.concat([hello, frame]));
      const e = lastError(await raw.closed);
      expect(e.code).toBe(WireErrorCode.BAD_REQUEST);
      expect(e.message).toBe(why);
    }
    expect(counted).toEqual([]); // a bad frame counts nothing, not even its good ids
  });

  it('ignores counts for ids the server does not hold, and keeps the connection', async () => {
    const { s } = await server({ counts: () => undefined });
    const raw = rawSocket(s.address);
    raw.socket.write(
      Buffer.concat([
        hello,
        encodeFrame(FrameType.RELEASE, 0, encodeIds(['never-held'])[0]!),
        encodeFrame(FrameType.FREE, 0, encodeIds(['gone', 'also-gone'])[0]!),
        encodeFrame(FrameType.PULL, 1, Buffer.from('a')),
      ]),
    );
    await vi.waitFor(() => expect(Buffer.concat(raw.got).includes(encodeFrame(FrameType.DATA_END, 1))).toBe(true));
    expect(raw.socket.destroyed).toBe(false);
    expect(s.stats().connections).toBe(1);
    raw.socket.destroy();
  });

  it('answers a pull of an object that went with its owner OWNER_DIED, and the client throws OwnerDiedError', async () => {
    const { s } = await server({
      ownerDied: (id) => (id === 'b' ? 'object b is lost: its owner actor-3 died' : undefined),
    });
    const c = new DataPlaneClient({ token: TOKEN });
    cleanup.push(() => c.close());
    const err = await c.pull(s.address, 'b').catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(OwnerDiedError);
    expect((err as Error).message).toMatch(/its owner actor-3 died/);
    const missing = await c.pull(s.address, 'c').catch((e: unknown) => e as Error);
    expect(missing).not.toBeInstanceOf(OwnerDiedError);
  });

  it('sends counts again that crossed the server closing the connection as idle', async () => {
    // The first connection reads the BORROW and answers with the idle notice, as if they crossed.
    const received: Array<[number, string[]]> = [];
    let accepted = 0;
    const fake = net.createServer((socket) => {
      const n = ++accepted;
      socket.on('error', () => undefined);
      let buf = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buf = Buffer.concat([buf, chunk]);
        while (buf.length >= HEADER_BYTES) {
          const type = buf.readUInt8(5);
          const len = buf.readUInt32BE(HEADER_BYTES - 4);
          if (buf.length < HEADER_BYTES + len) return;
          const payload = buf.subarray(HEADER_BYTES, HEADER_BYTES + len);
          buf = buf.subarray(HEADER_BYTES + len);
          if (type === FrameType.HELLO) socket.write(encodeFrame(FrameType.HELLO_OK, 0));
          else if (n === 1) socket.end(encodeFrame(FrameType.ERROR, 0, encodeError(WireErrorCode.IDLE, 'idle')));
          else received.push([type, decodeIds(type, Buffer.from(payload))]);
        }
      });
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise((r) => fake.close(r)));
    const c = new DataPlaneClient({ token: TOKEN });
    cleanup.push(() => c.close());
    c.count(`127.0.0.1:${(fake.address() as net.AddressInfo).port}`, 'BORROW', ['x1', 'x2']);
    await vi.waitFor(() => expect(received).toEqual([[FrameType.BORROW, ['x1', 'x2']]]));
    expect(accepted).toBe(2);
  });
});
