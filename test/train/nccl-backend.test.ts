/**
 * The 'nccl' collective backend where there is no GPU or no NCCL: forming a group fails at once,
 * naming what is missing, instead of hanging or crashing an actor host. (On a GPU machine the
 * backend itself is tested by test/train/cuda.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceUnavailableError, InvalidArgumentError, type ActorHandle, type Cluster } from '../../src/index.js';
import { logger } from '../../src/common/logger.js';
import { ncclBackend } from '../../src/collective/nccl.js';
import { nativeAddon } from '../../native/index.js';
import type { Member } from '../fixtures/collective-actors.js';
import { startEmbeddedCluster, type EmbeddedCluster } from '../fixtures/index.js';

const MEMBERS = new URL('../fixtures/collective-actors.ts', import.meta.url);

/** What this machine lacks for NCCL, or null where it has a GPU and NCCL. */
function lacking(): string | null {
  const n = nativeAddon();
  if (n.info().cuda.devices === 0) return 'no GPU';
  try {
    n.ncclVersion();
    return null;
  } catch {
    return 'no NCCL';
  }
}

const missing = lacking();
if (missing === null)
  console.log('nccl-backend.test.ts: skipped: this machine has a GPU and NCCL (test/train/cuda.test.ts covers it)');

describe.skipIf(missing === null)(`the 'nccl' backend without a GPU or NCCL (${missing})`, () => {
  let embedded: EmbeddedCluster;
  let cluster: Cluster;
  let members: ActorHandle<typeof Member>[];

  beforeAll(async () => {
    embedded = await startEmbeddedCluster({ numCpus: 4, warmPoolSize: 2 });
    cluster = embedded.driver;
    const M = cluster.actorClass<typeof Member>(MEMBERS, 'Member');
    members = await Promise.all([0, 1].map(() => M.spawn([])));
  }, 60_000);

  afterAll(async () => {
    await embedded?.stop();
  });

  it('an endpoint fails at once, naming every missing piece', async () => {
    const err = await ncclBackend({ rank: 0, size: 2, token: 't', host: '127.0.0.1', log: logger('test') }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    const message = (err as Error).message;
    expect(message).toMatch(/collective backend 'nccl' cannot run on rank 0/);
    if (nativeAddon().info().cuda.devices === 0)
      expect(message).toMatch(/no NVIDIA GPU was found|no CUDA library is loaded/);
    expect(message).toMatch(/NCCL \(libnccl\.so\.2\) could not be loaded|no NVIDIA GPU/);
  });

  it("cluster.collectiveGroup(…, { backend: 'nccl' }) rejects naming NCCL and the GPU, and the actors stay usable", async () => {
    const t0 = Date.now();
    const err = await cluster.collectiveGroup(members, { backend: 'nccl', name: 'gpu' }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    const message = (err as Error).message;
    expect(message).toMatch(/'nccl'/);
    expect(message).toMatch(/NVIDIA GPU|libnccl\.so\.2/);
    // The same actors still form a TCP group afterwards.
    await cluster.collectiveGroup(members, { backend: 'tcp', name: 'cpu' });
    const sums = await Promise.all(members.map((m, r) => m.call.allreduce(Float32Array.of(r + 1), 'sum', 'cpu')));
    expect(sums.map((s) => [...s])).toEqual([[3], [3]]);
  });

  it('a backend name that exists nowhere is still refused by name', async () => {
    const err = await cluster.collectiveGroup(members, { backend: 'gloo', name: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(/unknown collective backend 'gloo'/);
  });
});
