/**
 * Benchmark dispatcher: `node dist/bench/run.js NAME [args...]` (or `npm run bench -- NAME ...`)
 * imports ./NAME.js and runs its exported `run(args)`, which resolves with the exit code. `--peers`
 * is taken here for every benchmark: see lib/peers.ts.
 */
import { UsageError } from './lib/sections.js';
import { takePeersFlag } from './lib/peers.js';

type Bench = { run(args: string[]): Promise<number> };

const benchmarks: Record<string, () => Promise<Bench>> = {
  calls: () => import('./calls.js'),
  state: () => import('./state.js'),
  dataplane: () => import('./dataplane.js'),
  collective: () => import('./collective.js'),
  kernels: () => import('./kernels.js'),
  placement: () => import('./placement.js'),
  cluster: () => import('./cluster.js'),
  pipeline: () => import('./pipeline.js'),
  fleet: () => import('./fleet.js'),
  nested: () => import('./nested.js'),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const load = name === undefined ? undefined : benchmarks[name];
  if (!load) {
    const what = name === undefined ? 'no benchmark named' : `unknown benchmark "${name}"`;
    process.stderr.write(`${what}; available: ${Object.keys(benchmarks).join(', ')}\n`);
    process.stderr.write('usage: npm run bench -- NAME [args]   (node dist/bench/run.js NAME [args])\n');
    return 2;
  }
  try {
    // `--peers` (any benchmark): also run the same workload on Ray / PyTorch (bench/lib/peers.ts).
    return await (await load()).run(takePeersFlag(args));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
