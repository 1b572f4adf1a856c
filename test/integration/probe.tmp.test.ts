import { it } from 'vitest';
import { connect } from '../../src/index.js';
import type { Echo } from '../fixtures/actors.js';
import { ACTORS } from './embedded-helpers.js';
it('probe', async () => {
  const cluster = await connect({ numCpus: 2, warmPoolSize: 1, maxMessageBytes: 1 << 20 });
  const E = cluster.actorClass<typeof Echo>(ACTORS, 'Echo');
  const e = await E.spawn([]);
  const q = E.spawn([] , { numCpus: 2 });
  const q2 = E.spawn([] , { numCpus: 2 }).then(() => 'ok', (e) => 'ERR ' + e.message);
  const t0 = Date.now();
  const r = await Promise.allSettled(Array.from({ length: 50 }, () => E.spawn(['z'.repeat(40_000)] as any, { isolation: 'shared' })));
  console.log('50x40k', Date.now() - t0, r.filter(x => x.status === 'rejected').map((x: any) => x.reason.message).slice(0, 2));
  console.log('queued', await Promise.race([q2, new Promise(r => setTimeout(() => r('still pending'), 500))]));
  await cluster.shutdown();
});
