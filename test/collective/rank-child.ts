/**
 * A collective rank in its own process, for fault tests: `rank-child.ts RANK SIZE LENGTH DIE_AFTER_SENDS`.
 * Prints its address, reads every rank's addresses (JSON) on stdin, connects, prints `ready`, then
 * runs one allreduce of LENGTH float32 values and kills itself (SIGKILL) at its DIE_AFTER_SENDS-th
 * send, or never when that is 0.
 */
import { createInterface } from 'node:readline';
import { allreduce, TcpPeerTransport, type PeerTransport } from '../../src/collective/index.js';

const [rank, size, length, dieAfter] = process.argv.slice(2).map(Number) as [number, number, number, number];
const t = await TcpPeerTransport.create({ rank, size, token: 'test-collective-token' });
process.stdout.write(`${t.address}\n`);
const lines = createInterface({ input: process.stdin });
const [line] = await Promise.all([new Promise<string>((resolve) => lines.once('line', resolve))]);
await t.connect(JSON.parse(line) as string[], { timeoutMs: 10_000 });
process.stdout.write('ready\n');
let sends = 0;
const dying: PeerTransport = {
  rank,
  size,
  send: (to, tag, data) => {
    if (++sends === dieAfter) process.kill(process.pid, 'SIGKILL');
    return t.send(to, tag, data);
  },
  recv: (from, tag, ms) => t.recv(from, tag, ms),
  recvInto: (from, tag, dest, ms) => t.recvInto(from, tag, dest, ms),
  abort: (reason) => t.abort(reason),
};
await allreduce(dying, new Float32Array(length).fill(rank), { timeoutMs: 30_000, chunkElems: 4096 });
process.stdout.write('done\n');
lines.close();
await t.close();
