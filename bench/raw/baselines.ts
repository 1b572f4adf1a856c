/**
 * Client side of the raw grpc-js baselines: unary echo with one call in flight, and a pipelined
 * bidi-stream echo. The server runs in a child process (echo-server.js), so both cross processes
 * over loopback exactly as an actor call would.
 */
import * as grpc from '@grpc/grpc-js';
import { startChild, type Child } from '../lib/children.js';
import { measureRate, type Rate } from '../lib/report.js';
import { loadEcho, type Msg } from './proto.js';

export interface RawOptions {
  durationMs: number;
  warmupMs: number;
}

/** A running echo server child and a client connected to it. */
export interface EchoPeer {
  client: grpc.Client;
  /** The server's port on 127.0.0.1, for clients in other processes. */
  port: number;
  child: Child;
  close(): Promise<void>;
}

/** A client of an echo server on 127.0.0.1:`port`, connected. */
export async function connectEcho(port: number): Promise<grpc.Client> {
  const Echo = loadEcho();
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  await new Promise<void>((resolve, reject) =>
    client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
  );
  return client;
}

export async function startEchoPeer(): Promise<EchoPeer> {
  const child = startChild(new URL('./echo-server.js', import.meta.url));
  try {
    const port = Number(await child.nextLine(15_000));
    if (!Number.isInteger(port) || port <= 0) throw new Error(`echo-server printed a bad port: ${port}`);
    const client = await connectEcho(port);
    return {
      port,
      client,
      child,
      close: async () => {
        client.close();
        await child.stop();
      },
    };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

/** A ~32-byte payload, like a small actor call's argument. */
export const smallPayload = Buffer.alloc(32, 7);

/** Unary echo, one call in flight: calls/s. */
export async function rawUnary(peer: Pick<EchoPeer, 'client'>, opts: RawOptions): Promise<Rate> {
  const client = peer.client as grpc.Client & {
    Unary(msg: Msg, cb: (err: grpc.ServiceError | null, res?: Msg) => void): grpc.ClientUnaryCall;
  };
  let seq = 0;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      client.Unary({ seq: ++seq, payload: smallPayload }, (err) => (err ? reject(err) : resolve()));
    });
  return measureRate(once, { ...opts, inFlight: 1 });
}

/**
 * One bidi stream with `window` messages in flight: each message is a promise resolved when its echo
 * (matched by sequence number) comes back, as a pipelined actor call would be. Messages/s.
 */
export async function rawBidi(peer: Pick<EchoPeer, 'client'>, opts: RawOptions & { window: number }): Promise<Rate> {
  const client = peer.client as grpc.Client & { Stream(): grpc.ClientDuplexStream<Msg, Msg> };
  const stream = client.Stream();
  const pending = new Map<number, () => void>();
  let failure: Error | undefined;
  const failAll = (err: Error) => {
    failure ??= err;
    for (const resolve of pending.values()) resolve();
    pending.clear();
  };
  stream.on('data', (msg: Msg) => {
    const resolve = pending.get(msg.seq);
    if (resolve) {
      pending.delete(msg.seq);
      resolve();
    }
  });
  stream.on('error', (err) => failAll(err));
  stream.on('end', () => failAll(new Error('echo stream ended early')));
  let seq = 0;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      const s = ++seq;
      pending.set(s, () => (failure ? reject(failure) : resolve()));
      stream.write({ seq: s, payload: smallPayload });
    });
  try {
    return await measureRate(once, { ...opts, inFlight: opts.window });
  } finally {
    stream.removeAllListeners('end');
    stream.on('error', () => undefined);
    stream.cancel();
  }
}
