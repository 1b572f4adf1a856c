/**
 * Dialing and the HELLO handshake of the collective TCP links.
 *
 * Links are one-way. Messages from rank a to rank b travel on a connection that b dials to a:
 * b sends HELLO (rank, group size, token); a checks the token (constant time), the rank and the
 * group size, and answers with its own HELLO, or logs and drops the socket and goes on waiting for
 * the right peer. After the HELLOs, a writes DATA and ABORT frames on it and b writes nothing.
 *
 * Why one-way: Node lets only the dialing side of a socket choose where each read lands (`onread`),
 * and the reader points the kernel at the destination of a recvInto (see transport/framing).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnavailableError } from '../common/index.js';
import type { Logger, RefusalLog } from '../common/index.js';
import { FrameError, FrameParser, type FrameHandlers, type FrameHeader } from '../transport/index.js';
import { COLLECTIVE, CollectiveFrame, WRITER_RULES, controlFrame, readerRules } from './wire.js';

const HANDSHAKE_TIMEOUT_MS = 10_000;

const digest = (s: Uint8Array): Buffer => createHash('sha256').update(s).digest();

/** What a rank says about itself in its HELLO. */
export class Greeting {
  private readonly tokenBytes: Buffer;
  private readonly tokenDigest: Buffer;
  /** This rank's HELLO frame. */
  readonly hello: Buffer;

  constructor(
    readonly rank: number,
    readonly size: number,
    token: string,
  ) {
    this.tokenBytes = Buffer.from(token, 'utf8');
    this.tokenDigest = digest(this.tokenBytes);
    const p = Buffer.allocUnsafe(8 + this.tokenBytes.length);
    p.writeUInt32BE(rank, 0);
    p.writeUInt32BE(size, 4);
    this.tokenBytes.copy(p, 8);
    this.hello = controlFrame(CollectiveFrame.HELLO, p);
  }

  /** Why a HELLO is unacceptable, or undefined when it is fine; `expect` says which ranks may send it. */
  check(h: FrameHeader, p: Buffer, expect: (rank: number) => boolean): string | undefined {
    if (h.type !== CollectiveFrame.HELLO) return `expected HELLO, got frame type ${h.type}`;
    if (p.length < 8) return 'HELLO payload too short';
    const rank = p.readUInt32BE(0);
    const size = p.readUInt32BE(4);
    if (!timingSafeEqual(digest(p.subarray(8)), this.tokenDigest)) return 'wrong token';
    if (size !== this.size) return `group size ${size}, expected ${this.size}`;
    if (!expect(rank)) return `unexpected rank ${rank}`;
    return undefined;
  }
}

/** What the handshake needs from the transport it connects. */
export interface HandshakeHost {
  readonly greeting: Greeting;
  readonly log: Logger;
  /** Refused peers, logged rate-limited: a peer without the token may dial thousands of times a second. */
  readonly refusals: RefusalLog;
  /** Sockets mid-handshake, destroyed when the transport closes. */
  readonly pending: Set<net.Socket>;
  /** The most sockets mid-handshake at once; past it a new one is dropped (real peers dial again). */
  readonly maxPending: number;
  isClosed(): boolean;
  /** Whether `rank` may dial in now (it is not connected yet, nor gone). */
  mayAccept(rank: number): boolean;
  /** The handshake on a socket `rank` dialed is done: this rank writes its messages for `rank` there. */
  accepted(rank: number, socket: net.Socket): void;
  /** The handshake on a socket this rank dialed is done: the handlers for what `rank` sends on it. */
  linked(rank: number, socket: net.Socket, parser: FrameParser): FrameHandlers;
  /** `rank` broke the protocol after the handshake. */
  protocolFailure(rank: number, socket: net.Socket, err: unknown): void;
}

const noData = (): never => {
  throw new FrameError('DATA before HELLO');
};

/** A peer dialed in: checks its HELLO, answers, and hands the socket to `host.accepted`. */
export function acceptPeer(host: HandshakeHost, socket: net.Socket): void {
  if (host.isClosed()) {
    socket.destroy();
    return;
  }
  const { greeting, refusals } = host;
  const remote = `${socket.remoteAddress}:${socket.remotePort}`;
  if (host.pending.size >= host.maxPending) {
    refusals.refused(remote, `more than ${host.maxPending} connections mid-handshake`, { rank: greeting.rank });
    socket.destroy();
    return;
  }
  host.pending.add(socket);
  let done = false;
  let from = -1;
  const refuse = (reason: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    host.pending.delete(socket);
    refusals.refused(remote, reason, { rank: greeting.rank });
    socket.destroy();
  };
  const timer = setTimeout(() => refuse('no HELLO in time'), HANDSHAKE_TIMEOUT_MS);
  socket.on('error', () => refuse('socket error during handshake'));
  socket.on('close', () => {
    const where = parser.midFrame();
    refuse(where === undefined ? 'closed during the handshake' : `closed during the handshake, ${where}`);
  });
  const parser = new FrameParser(COLLECTIVE, WRITER_RULES, {
    control: (h, p) => {
      if (done) throw new FrameError(`unexpected frame type ${COLLECTIVE.typeName(h.type)} from the reading side`);
      const err = greeting.check(h, p, (r) => r !== greeting.rank && r < greeting.size);
      if (err) return refuse(err);
      from = p.readUInt32BE(0);
      if (!host.mayAccept(from)) return refuse(`rank ${from} is already connected`);
      done = true;
      clearTimeout(timer);
      host.pending.delete(socket);
      socket.removeAllListeners('error');
      socket.removeAllListeners('close');
      socket.write(greeting.hello);
      host.accepted(from, socket);
    },
    begin: noData,
    end: noData,
  });
  socket.on('data', (chunk: Buffer) => {
    try {
      parser.push(chunk);
    } catch (err) {
      if (!done) refuse(err instanceof Error ? err.message : String(err));
      else host.protocolFailure(from, socket, err);
    }
  });
}

/**
 * Dials rank `to` at `address` until linked, the deadline passes or `stopped()`: the connection
 * on which `to` sends to this rank; this side owns its reads.
 */
export async function dialUntil(
  host: HandshakeHost,
  to: number,
  address: string,
  deadline: number,
  maxMessageBytes: number,
  done: () => boolean,
): Promise<void> {
  let backoff = 20;
  while (!done() && !host.isClosed() && Date.now() < deadline) {
    try {
      await dialOnce(host, to, address, Math.max(1, deadline - Date.now()), maxMessageBytes);
      return;
    } catch (err) {
      host.log.debug({ err, to, address }, 'collective dial failed; retrying');
      await sleep(Math.min(backoff, Math.max(0, deadline - Date.now())));
      backoff = Math.min(backoff * 2, 500);
    }
  }
}

function dialOnce(
  host: HandshakeHost,
  to: number,
  address: string,
  timeoutMs: number,
  maxMessageBytes: number,
): Promise<void> {
  const i = address.lastIndexOf(':');
  const hostname = address.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(i + 1));
  const { greeting, log } = host;
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      host.pending.delete(socket);
      socket.destroy();
      reject(err);
    };
    const handshake: FrameHandlers = {
      control: (h, p) => {
        const err = greeting.check(h, p, (r) => r === to);
        if (err) {
          log.warn({ to, address, reason: err }, 'collective peer refused: bad HELLO reply');
          fail(new UnavailableError(`rank ${to} at ${address} answered with a bad HELLO: ${err}`));
          return;
        }
        done = true;
        clearTimeout(timer);
        host.pending.delete(socket);
        socket.removeAllListeners('error');
        socket.removeAllListeners('close');
        target = host.linked(to, socket, parser);
        resolve();
      },
      begin: noData,
      end: noData,
    };
    // What arrives goes to the handshake until the HELLO reply, then to the link.
    let target = handshake;
    const parser = new FrameParser(COLLECTIVE, readerRules(maxMessageBytes), {
      control: (h, p) => target.control(h, p),
      begin: (h, prefix) => target.begin(h, prefix),
      end: (h) => target.end(h),
    });
    const socket = net.connect({
      host: hostname,
      port,
      noDelay: true,
      onread: {
        buffer: () => parser.readBuffer(),
        callback: (n, buf) => {
          try {
            parser.onRead(n, buf);
          } catch (err) {
            if (!done) fail(err as Error);
            else host.protocolFailure(to, socket, err);
          }
          return true;
        },
      },
    });
    host.pending.add(socket);
    const timer = setTimeout(
      () => fail(new UnavailableError(`handshake with rank ${to} timed out`)),
      Math.min(timeoutMs, HANDSHAKE_TIMEOUT_MS),
    );
    socket.on('error', fail);
    socket.on('close', () => fail(new UnavailableError(`rank ${to} closed the connection during the handshake`)));
    socket.once('connect', () => socket.write(greeting.hello));
  });
}
