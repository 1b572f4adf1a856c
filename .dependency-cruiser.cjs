/**
 * Import rules of the code base, checked by `npm run deps` (part of `npm test`). See docs/architecture.md.
 *
 * Layers, highest first; a component may import components of a lower layer, and inside its own layer
 * only those listed after it in `SAME_LAYER` (so the layer stays acyclic):
 *   cli → client / launcher / train → head / worker → objects / collective / jobs → transport / state
 *   → options / common / native / generated
 * Across components, a module imports another component only through its door (`index.ts`);
 * `src/generated` (written by `npm run gen`) has no door.
 */
'use strict';

const LAYERS = [
  ['cli'],
  ['launcher', 'train', 'client'],
  ['head', 'worker'],
  ['objects', 'collective', 'jobs'],
  ['transport', 'state'],
  ['options', 'common', 'native', 'generated'],
];

/** Allowed edges inside one layer: key may import each of its values. */
const SAME_LAYER = {
  launcher: ['client'],
  train: ['client'],
  head: [],
  worker: [],
  collective: ['objects'],
  options: ['common', 'generated'],
  common: ['generated'],
  native: ['common'],
};

/** Where a component lives: `native/` sits beside `src/`. */
const at = (name) => (name === 'native' ? '^native/' : `^src/${name}/`);

const rules = [];
LAYERS.forEach((layer, rank) => {
  const above = LAYERS.slice(0, rank).flat();
  for (const component of layer) {
    const sameLayerForbidden = layer.filter((c) => c !== component && !(SAME_LAYER[component] ?? []).includes(c));
    const forbidden = [...above, ...sameLayerForbidden];
    if (forbidden.length === 0) continue;
    rules.push({
      name: `layer-${component}`,
      comment: `${component} may not import ${forbidden.join(', ')} (allowed direction: see docs/architecture.md)`,
      severity: 'error',
      from: { path: at(component) },
      to: { path: forbidden.map(at) },
    });
  }
});

// One exception, the entry of an actor host process: it loads the client (by its door) for the
// actors it runs, so they can use their cluster (currentCluster) and decode actor handles.
// Everything else of the worker stays below the client.
const HOST_ENTRY = '^src/worker/actor-host-main\\.ts$';
const workerRule = rules.find((r) => r.name === 'layer-worker');
workerRule.from = { path: at('worker'), pathNot: HOST_ENTRY };
rules.push({
  name: 'layer-worker-host-entry',
  comment: 'the actor host entry may import the client through its door only, and nothing else above the worker',
  severity: 'error',
  from: { path: HOST_ENTRY },
  to: { path: workerRule.to.path, pathNot: '^src/client/index\\.ts$' },
});

rules.push(
  {
    name: 'no-circular',
    comment: 'import cycles anywhere in src, native, bench, examples and test',
    severity: 'error',
    from: { pathNot: '^src/generated/' },
    to: { circular: true },
  },
  {
    name: 'door-only',
    comment: 'another component is imported only through its index.ts',
    severity: 'error',
    from: { path: '^src/([^/]+)/' },
    to: {
      path: '^src/[^/]+/.+',
      pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$', '^src/generated/'],
    },
  },
  {
    name: 'door-only-public-api',
    comment: 'src/index.ts re-exports the public API from the components’ doors only',
    severity: 'error',
    from: { path: '^src/index\\.ts$' },
    to: { path: '^src/[^/]+/.+', pathNot: ['^src/[^/]+/index\\.ts$'] },
  },
  {
    name: 'src-stays-below-tests',
    comment: 'the library never imports tests, benchmarks or examples',
    severity: 'error',
    from: { path: '^(src|native)/' },
    to: { path: '^(test|bench|examples)/' },
  },
  {
    name: 'bench-and-test-apart',
    comment: 'benchmarks do not import tests; tests share only the system-component harnesses of bench/lib',
    severity: 'error',
    from: { path: '^(bench|test)/' },
    to: { path: '^(bench|test)/', pathNot: ['^$1/', '^bench/lib/'] },
  },
);

module.exports = {
  forbidden: rules,
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^dist/', '^node_modules/', '\\.d\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
    combinedDependencies: false,
  },
};
