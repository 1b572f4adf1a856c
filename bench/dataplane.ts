/**
 * `npm run bench -- dataplane [--mib N] [--runs N]`
 *
 * Moves large buffers from a child process to this one three ways, in one run: a plain TCP socket
 * (the baseline: 1 MiB writes, bytes counted; also read into one reused buffer, and that copied
 * into a new ArrayBuffer as a pull must), grpc-js server streaming of the same bytes (256 KiB
 * and 1 MiB messages, for contrast), and a DataPlane pull of a 64 MiB and a 256 MiB object. Each
 * figure is the best of `--runs` transfers, in GB/s (10^9 bytes/s); the DataPlane rows carry their
 * ratio to raw TCP (target ≥ 0.6x), and are repeated against the like-for-like ceiling, raw TCP
 * copied into a new ArrayBuffer: a pull must fill fresh memory, and first-touch page faults bound
 * both. Small values: Troupe's put and get in the driver against the same work done in-process
 * without Troupe (msgpackr pack + Map.set, Map.get + unpack), and an actor in another process
 * reading a driver-owned value by ref (a call and a pull) against two raw grpc-js round trips to
 * another process. Every baseline is measured in the same run. This module is also the child:
 * `dataplane.js --child MODE ...`.
 */
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { DataPlaneClient, DataPlaneServer } from '../src/transport/data-plane/index.js';
import { connect, type Cluster } from '../src/index.js';
import { MiB, gbps, rawTcpOnce, serveRawTcp } from './raw/tcp.js';
import { exitWhenParentGone, startChild, type Child } from './lib/children.js';
import { Report } from './lib/report.js';
import { int, parseFlags } from './lib/flags.js';
import { section } from './lib/sections.js';
import { comparePeer } from './lib/peers.js';
import { rawBidi, startEchoPeer } from './raw/baselines.js';
import { pack, unpack } from 'msgpackr';

const TOKEN = 'bench-dataplane-token';
const usage = 'usage: dataplane [--mib N (256)] [--runs N (5)]';

interface Options {
  mib: number;
  runs: number;
}

function parseArgs(args: string[]): Options {
  return parseFlags(args, { mib: int(1, 256), runs: int(1, 5) }, usage);
}

async function bestOf(runs: number, once: () => Promise<number>): Promise<number> {
  let best = 0;
  for (let i = 0; i < runs; i++) best = Math.max(best, await once());
  return best;
}

const STREAM_PATH = '/bench.DataStream/Pull';
const identity = {
  serialize: (b: Buffer) => b,
  deserialize: (b: Buffer) => b,
};
const streamService: grpc.ServiceDefinition = {
  Pull: {
    path: STREAM_PATH,
    requestStream: false,
    responseStream: true,
    requestSerialize: identity.serialize,
    requestDeserialize: identity.deserialize,
    responseSerialize: identity.serialize,
    responseDeserialize: identity.deserialize,
  },
};

/** One grpc-js server-streaming transfer of `mib` MiB in `chunk`-byte messages. */
async function grpcStreamOnce(port: number, mib: number, chunk: number): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    await new Promise<void>((resolve, reject) =>
      client.waitForReady(Date.now() + 10_000, (err) => (err ? reject(err) : resolve())),
    );
    const req = Buffer.alloc(8);
    req.writeUInt32BE(mib, 0);
    req.writeUInt32BE(chunk, 4);
    const start = performance.now();
    const call = client.makeServerStreamRequest(STREAM_PATH, identity.serialize, identity.deserialize, req);
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      call.on('data', (b: Buffer) => (bytes += b.length));
      call.on('error', reject);
      call.on('end', resolve);
    });
    const ms = performance.now() - start;
    if (bytes !== mib * MiB) throw new Error(`grpc stream got ${bytes} of ${mib * MiB} bytes`);
    return gbps(bytes, ms);
  } finally {
    client.close();
  }
}

async function pullOnce(client: DataPlaneClient, address: string, id: string, bytes: number): Promise<number> {
  const start = performance.now();
  const got = await client.pull(address, id, { timeoutMs: 120_000 });
  const ms = performance.now() - start;
  if (got.byteLength !== bytes) throw new Error(`pull of ${id} got ${got.byteLength} of ${bytes} bytes`);
  return gbps(bytes, ms);
}

async function startPeer(mode: string, args: string[] = []): Promise<{ child: Child; line: string }> {
  const child = startChild(new URL(import.meta.url), ['--child', mode, ...args], { DP_TOKEN: TOKEN });
  return { child, line: await child.nextLine(60_000) };
}

/** Runs the benchmark; resolves with the process exit code. */
export async function run(args: string[]): Promise<number> {
  const opts = parseArgs(args);
  const report = new Report('dataplane');
  const limit = 120_000 + opts.runs * 30_000;
  const baseName = 'raw TCP';

  const [raw, , fresh] = await section(
    report,
    [
      { name: `raw TCP one-way, ${opts.mib} MiB in 1 MiB writes, best of ${opts.runs}`, unit: 'GB/s' },
      { name: `raw TCP one-way, reads into a reused 1 MiB buffer, best of ${opts.runs}`, unit: 'GB/s' },
      { name: `raw TCP one-way, reused buffer copied into a new ArrayBuffer, best of ${opts.runs}`, unit: 'GB/s' },
    ],
    limit,
    async () => {
      const { child, line } = await startPeer('raw-tcp', [String(opts.mib)]);
      try {
        const out = [];
        for (const mode of ['plain', 'reuse', 'fresh'] as const) {
          out.push({ value: await bestOf(opts.runs, () => rawTcpOnce(Number(line), opts.mib, mode)) });
        }
        return out;
      } finally {
        await child.stop();
      }
    },
  );

  const chunks = [256 * 1024, MiB];
  await section(
    report,
    chunks.map((c) => ({
      name: `grpc-js server stream, ${opts.mib} MiB in ${c / 1024} KiB messages, best of ${opts.runs}`,
      unit: 'GB/s',
      opts: { baselineName: baseName },
    })),
    limit * 2,
    async () => {
      const { child, line } = await startPeer('grpc-stream');
      try {
        const out = [];
        for (const c of chunks)
          out.push({ value: await bestOf(opts.runs, () => grpcStreamOnce(Number(line), opts.mib, c)), baseline: raw });
        return out;
      } finally {
        await child.stop();
      }
    },
  );

  const sizes = [64, opts.mib];
  const target = { on: 'ratio', op: '>=', threshold: 0.6 } as const;
  const pulls = await section(
    report,
    sizes.map((m) => ({
      name: `DataPlane pull of a ${m} MiB object, best of ${opts.runs}`,
      unit: 'GB/s',
      opts: { baselineName: baseName, target },
    })),
    limit * 2,
    async () => {
      const { child, line } = await startPeer(
        'dp-server',
        sizes.map((m) => `o${m}=${m * MiB}`),
      );
      const client = new DataPlaneClient({ token: TOKEN });
      try {
        await pullOnce(client, line, `o${sizes[0]}`, sizes[0]! * MiB); // connect, warm up
        const out = [];
        for (const m of sizes)
          out.push({ value: await bestOf(opts.runs, () => pullOnce(client, line, `o${m}`, m * MiB)), baseline: raw });
        return out;
      } finally {
        client.close();
        await child.stop();
      }
    },
  );

  sizes.forEach((m, i) => {
    const value = pulls[i];
    if (value == null || fresh == null) return;
    report.add(`DataPlane pull of a ${m} MiB object, as above`, value, 'GB/s', {
      baselineName: 'raw TCP into a new ArrayBuffer',
      baseline: fresh,
    });
  });

  await actorSections(report, opts, raw, limit);

  await comparePeer(report, {
    peer: 'ray',
    script: 'ray_objects.py',
    params: { small_ops: SMALL_OPS, cross_ops: CROSS_OPS, floats: (64 * MiB) / 4, runs: opts.runs },
    timeoutMs: 600_000,
    rows: [
      {
        what: `put of a small value, ${SMALL_OPS} sequential`,
        unit: 'puts/s',
        troupeRow: objectRowNames(opts).put,
        peer: (o) => o.put,
      },
      {
        what: `get of a small value it put, ${SMALL_OPS} sequential`,
        unit: 'gets/s',
        troupeRow: objectRowNames(opts).get,
        peer: (o) => o.get,
      },
      {
        what: `an actor in another process reads a small driver-owned value by ref, ${CROSS_OPS} sequential`,
        unit: 'ops/s',
        troupeRow: objectRowNames(opts).cross,
        peer: (o) => o.cross_get,
      },
      {
        what: `actor→actor, a 64 MiB float32 array passed as a ref, best of ${opts.runs}`,
        unit: 'GB/s',
        troupeRow: objectRowNames(opts).ref,
        peer: (o) => o.ref_64mib_gbps,
      },
    ],
  });
  report.print();
  return report.failed ? 1 : 0;
}

type Blob = typeof import('./actors/blobs.js').BlobActor;
const SMALL_OPS = 5000;
const CROSS_OPS = 2000;

/** The names of the rows a peer's figures are set beside (--peers). */
const objectRowNames = (opts: Options) => ({
  put: `troupe put of a small value, ${SMALL_OPS} sequential`,
  get: `troupe get of a small value it put, ${SMALL_OPS} sequential`,
  cross: `troupe get of a small driver-owned value by an actor in another process (a call with the ref), ${CROSS_OPS} sequential`,
  ref: `troupe actor→actor, a 64 MiB Float32Array passed as a ref (incl. its snapshot), best of ${opts.runs}`,
});

/**
 * The in-process floor of a small put and get: encode into a map under a fresh id, then look up
 * and decode, each awaited as a caller of an async put/get awaits.
 */
async function rawPutGet(): Promise<[number, number]> {
  const store = new Map<string, Buffer>();
  const ids: string[] = [];
  let t0 = performance.now();
  for (let i = 0; i < SMALL_OPS; i++) {
    const id = `obj-${i.toString(36)}`;
    await Promise.resolve(store.set(id, pack({ step: i, loss: 0.5 })));
    ids.push(id);
  }
  const puts = (SMALL_OPS * 1000) / (performance.now() - t0);
  t0 = performance.now();
  for (const id of ids) await Promise.resolve(unpack(store.get(id)!));
  return [puts, (SMALL_OPS * 1000) / (performance.now() - t0)];
}

/** Troupe itself: an embedded cluster, arrays as call arguments, results and refs; small put/get rates. */
async function actorSections(report: Report, opts: Options, raw: number | null, limit: number): Promise<void> {
  const floats = (64 * MiB) / 4;
  const target = { on: 'ratio', op: '>=', threshold: 0.6 } as const;
  const rowOpts = { baselineName: 'raw TCP', target };
  let cluster: Cluster | undefined;
  try {
    await section(
      report,
      [
        {
          name: `troupe driver→actor, a 64 MiB Float32Array as an argument, best of ${opts.runs}`,
          unit: 'GB/s',
          opts: rowOpts,
        },
        {
          name: `troupe actor→driver, a 64 MiB Float32Array as a result, best of ${opts.runs}`,
          unit: 'GB/s',
          opts: rowOpts,
        },
        {
          name: objectRowNames(opts).ref,
          unit: 'GB/s',
          opts: rowOpts,
        },
      ],
      limit * 2,
      async () => {
        cluster = await connect({ warmPoolSize: 2 });
        const B = cluster.actorClass<Blob>(new URL('./actors/blobs.js', import.meta.url), 'BlobActor');
        const [a, b] = await Promise.all([B.spawn([]), B.spawn([])]);
        const arg = new Float32Array(floats).fill(2.5);
        const timedGbps = async (fn: () => Promise<unknown>): Promise<number> => {
          const t0 = performance.now();
          await fn();
          return gbps(64 * MiB, performance.now() - t0);
        };
        await a.call.length(arg); // connections, warm-up
        await a.call.make(floats);
        const asArg = await bestOf(opts.runs, () => timedGbps(() => a.call.length(arg)));
        const asResult = await bestOf(opts.runs, () => timedGbps(() => a.call.make(floats)));
        const asRef = await bestOf(opts.runs, () =>
          timedGbps(async () => {
            const ref = a.ref.make(floats);
            await b.call.length(ref);
            cluster!.free(ref);
          }),
        );
        return [asArg, asResult, asRef].map((value) => ({ value, baseline: raw }));
      },
    );
    const small = await section(
      report,
      [
        { name: `raw msgpackr pack + Map.set of a small value, ${SMALL_OPS} sequential (awaited)`, unit: 'puts/s' },
        { name: `raw Map.get + msgpackr unpack of a small value, ${SMALL_OPS} sequential (awaited)`, unit: 'gets/s' },
        {
          name: `raw grpc-js bidi-stream echo to another process, 1 in flight, per 2 round trips (a call and a pull)`,
          unit: 'ops/s',
        },
      ],
      limit,
      async () => {
        const [puts, gets] = await rawPutGet();
        const peer = await startEchoPeer();
        try {
          const echo = await rawBidi(peer, { durationMs: 2000, warmupMs: 300, window: 1 });
          return [{ value: puts }, { value: gets }, { value: echo.perSecond / 2 }];
        } finally {
          await peer.close();
        }
      },
    );
    await section(
      report,
      [
        {
          name: objectRowNames(opts).put,
          unit: 'puts/s',
          opts: { baselineName: 'raw pack + Map.set', target: { on: 'value', op: '>=', threshold: 5000 } },
        },
        {
          name: objectRowNames(opts).get,
          unit: 'gets/s',
          opts: { baselineName: 'raw Map.get + unpack', target: { on: 'value', op: '>=', threshold: 10_000 } },
        },
        {
          name: objectRowNames(opts).cross,
          unit: 'ops/s',
          opts: { baselineName: 'raw bidi, 2 round trips' },
        },
      ],
      limit,
      async () => {
        const c = cluster ?? (cluster = await connect({ warmPoolSize: 1 }));
        const refs = [];
        let t0 = performance.now();
        for (let i = 0; i < SMALL_OPS; i++) refs.push(await c.put({ step: i, loss: 0.5 }));
        const puts = (SMALL_OPS * 1000) / (performance.now() - t0);
        t0 = performance.now();
        for (const r of refs) await c.get(r);
        const gets = (SMALL_OPS * 1000) / (performance.now() - t0);
        const B = c.actorClass<Blob>(new URL('./actors/blobs.js', import.meta.url), 'BlobActor');
        const reader = await B.spawn([], { isolation: 'process' });
        try {
          for (let i = 0; i < 200; i++) await reader.call.step(refs[i]!); // connections, warm-up
          t0 = performance.now();
          for (let i = 0; i < CROSS_OPS; i++) {
            const got = await reader.call.step(refs[SMALL_OPS - 1 - i]!);
            if (got !== SMALL_OPS - 1 - i) throw new Error(`the actor read step ${got}, not ${SMALL_OPS - 1 - i}`);
          }
          const cross = (CROSS_OPS * 1000) / (performance.now() - t0);
          return [
            { value: puts, baseline: small[0] },
            { value: gets, baseline: small[1] },
            { value: cross, baseline: small[2] },
          ];
        } finally {
          await reader.kill();
        }
      },
    );
  } finally {
    await cluster?.shutdown();
  }
}

/** The child side: `--child raw-tcp MIB`, `--child grpc-stream`, `--child dp-server id=bytes...`. */
async function childMain(mode: string | undefined, rest: string[]): Promise<void> {
  exitWhenParentGone();
  switch (mode) {
    case 'raw-tcp': {
      serveRawTcp(Number(rest[0]));
      return;
    }
    case 'grpc-stream': {
      const payload = Buffer.alloc(MiB, 7);
      const server = new grpc.Server({ 'grpc.max_send_message_length': 64 * MiB });
      server.addService(streamService, {
        Pull: async (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
          const mib = call.request.readUInt32BE(0);
          const chunk = call.request.readUInt32BE(4);
          const total = mib * MiB;
          for (let sent = 0; sent < total; sent += chunk) {
            if (!call.write(payload.subarray(0, Math.min(chunk, total - sent))))
              await new Promise((r) => call.once('drain', r));
          }
          call.end();
        },
      });
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
        if (err) throw err;
        process.stdout.write(`${port}\n`);
      });
      return;
    }
    case 'dp-server': {
      const objects = new Map(
        rest.map((a) => a.split('=') as [string, string]).map(([id, n]) => [id, new Uint8Array(Number(n)).fill(7)]),
      );
      const server = await DataPlaneServer.start({
        token: process.env.DP_TOKEN ?? '',
        provider: (id) => objects.get(id),
      });
      process.stdout.write(`${server.address}\n`);
      return;
    }
    default:
      throw new Error(`unknown child mode ${mode}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--child') {
  childMain(process.argv[3], process.argv.slice(4)).catch((err: unknown) => {
    process.stderr.write(`dataplane child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
