/**
 * Test helper: a DataPlaneServer in its own process. Run with `node --import tsx data-plane-child.ts
 * id=bytes ...` and DP_TOKEN in the environment (DP_LIMITS: the server's `limits` as JSON). Fills each
 * object with deterministic pseudo-random bytes, then prints one JSON line { address, pid, sha256: { id: hex } };
 * prints `pull <id>` each time an object is asked for, and `stats {...}` (the server's stats and the bytes of its ArrayBuffers) for each
 * `stats` line on its stdin (a `gc` line collects garbage first, when run with --expose-gc). Exits when its
 * stdin closes.
 */
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import { DataPlaneServer } from '../../src/transport/data-plane/index.js';

/** Deterministic bytes (xorshift32), so both sides can check them by digest. */
function fill(bytes: number, seed: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const words = new Uint32Array(out.buffer, 0, Math.floor(bytes / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < bytes; i++) out[i] = i & 0xff;
  return out;
}

const objects = new Map<string, Uint8Array>();
const sha256: Record<string, string> = {};
process.argv.slice(2).forEach((arg, i) => {
  const [id, size] = arg.split('=');
  const bytes = fill(Number(size), i + 1);
  objects.set(id!, bytes);
  sha256[id!] = createHash('sha256').update(bytes).digest('hex');
});

const server = await DataPlaneServer.start({
  token: process.env.DP_TOKEN ?? '',
  limits: JSON.parse(process.env.DP_LIMITS ?? '{}'),
  log: pino({ level: 'warn' }, pino.destination({ fd: 2, sync: true })),
  provider: (id) => {
    process.stdout.write(`pull ${id}\n`);
    return objects.get(id);
  },
});
process.stdout.write(`${JSON.stringify({ address: server.address, pid: process.pid, sha256 })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  for (const line of text.split('\n')) {
    if (line.trim() === 'gc') globalThis.gc?.();
    if (line.trim() === 'stats') {
      const { arrayBuffers } = process.memoryUsage();
      process.stdout.write(`stats ${JSON.stringify({ ...server.stats(), arrayBuffers })}\n`);
    }
  }
});
