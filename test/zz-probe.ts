import { connect } from '/work/wt-cli/src/index.js';
const T = (process.env.T ?? 'wrong');
const t0 = performance.now();
const c = await connect({ numCpus: 2 });
const t1 = performance.now();
const ACTORS = new URL('file:///work/wt-cli/test/fixtures/actors.ts');
try { await c.actorClass(ACTORS, T === 'wrong' ? 'Countr' : 'Counter').spawn([0]); } catch (e) { console.log((e as Error).constructor.name); }
const t2 = performance.now();
console.log({ T, connect: t1 - t0, first: t2 - t1 });
await c.shutdown();
