/**
 * The demo job: an embedded cluster (head + one worker in this process, actors in child
 * processes), a named counter found again by name, calls in order, a fleet of light shared
 * actors, and the cluster's status.  Run it with `npm run demo`.
 */
import { connect, ActorDiedError } from 'troupe';
import type { Counter as CounterClass } from './counter.js';

const cluster = await connect(); // no address: embedded local cluster, in-memory state
try {
  const Counter = cluster.actorClass<typeof CounterClass>(new URL('./counter.js', import.meta.url), 'Counter');

  const c = await Counter.spawn([10], { numCpus: 1, name: 'c1', namespace: 'demo' });
  console.log(`spawned counter ${c.id} on ${c.nodeId}, process ${(await c.call.where()).pid}`);
  console.log('inc(5) ->', await c.call.inc(5));

  // 1,000 calls without waiting for each: they run in the order sent, on one stream.
  const t0 = performance.now();
  const results = await Promise.all(Array.from({ length: 1000 }, () => c.call.inc(1)));
  const ms = performance.now() - t0;
  console.log(
    `1,000 pipelined calls in ${ms.toFixed(0)} ms, last value ${results.at(-1)} (in order: ${results.every((v, i) => v === 16 + i)})`,
  );

  const same = await cluster.getActor<typeof CounterClass>('c1', { namespace: 'demo' });
  console.log('found by name, slowDouble(50) ->', await same.call.slowDouble(50));

  // Light actors share one host process instead of one process each.
  const fleet = await Promise.all(Array.from({ length: 100 }, (_, i) => Counter.spawn([i], { isolation: 'shared' })));
  const pids = new Set(await Promise.all(fleet.map(async (a) => (await a.call.where()).pid)));
  console.log(`100 shared actors live in ${pids.size} process(es)`);

  const status = await cluster.status();
  const node = status.nodes[0]!;
  console.log(
    `status: ${status.nodes.length} node, CPU ${node.total.CPU! - node.available.CPU!}/${node.total.CPU} in use, ${status.actorsByState.ALIVE} actors alive`,
  );

  await c.kill();
  await c.call.inc(1).catch((err: unknown) => {
    if (err instanceof ActorDiedError) console.log('after kill:', err.message);
    else throw err;
  });
} finally {
  await cluster.shutdown();
}
