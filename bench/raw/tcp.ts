/**
 * The raw TCP baseline shared by the dataplane and collective benchmarks: a child process serves
 * `mib` MiB in 1 MiB writes to whoever connects; the parent times one transfer.
 */
import net from 'node:net';

export const MiB = 1024 * 1024;

export const gbps = (bytes: number, ms: number): number => bytes / (ms / 1000) / 1e9;

/**
 * How the reader takes the bytes. 'plain': the default fresh buffer per read. 'reuse': one reused
 * 1 MiB buffer (`onread`). 'fresh': as 'reuse', then copied into one new exactly sized ArrayBuffer,
 * which is what a pull must deliver (the like-for-like ceiling: it pays the page faults of new memory).
 */
export type RawMode = 'plain' | 'reuse' | 'fresh';

/** One raw TCP transfer from a `serveRawTcp` child listening on `port`, in GB/s. */
export async function rawTcpOnce(port: number, mib: number, mode: RawMode = 'plain'): Promise<number> {
  let bytes = 0;
  const readBuffer = Buffer.allocUnsafe(MiB);
  let dest: Uint8Array | undefined;
  const onread = (n: number) => {
    if (mode === 'fresh') (dest ??= new Uint8Array(new ArrayBuffer(mib * MiB))).set(readBuffer.subarray(0, n), bytes);
    bytes += n;
    return true;
  };
  const socket = net.connect({
    host: '127.0.0.1',
    port,
    noDelay: true,
    ...(mode === 'plain' ? {} : { onread: { buffer: readBuffer, callback: onread } }),
  });
  if (mode === 'plain') socket.on('data', (c: Buffer) => (bytes += c.length));
  let start = 0;
  socket.once('connect', () => (start = performance.now()));
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('end', resolve);
  });
  const ms = performance.now() - start;
  socket.destroy();
  if (bytes !== mib * MiB) throw new Error(`raw TCP got ${bytes} of ${mib * MiB} bytes`);
  return gbps(bytes, ms);
}

/** The child side: listens on a free loopback port, prints it, and sends `mib` MiB to each connection. */
export function serveRawTcp(mib: number): void {
  const chunk = Buffer.alloc(MiB, 7);
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => undefined);
    void (async () => {
      for (let i = 0; i < mib; i++) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
      }
      socket.end();
    })();
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`));
}
