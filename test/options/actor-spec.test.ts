/** The actor spec's defaults live in one table: what the client sends for empty options is made from it. */
import { describe, expect, it } from 'vitest';
import { ACTOR_DEFAULTS, checkActorOptions, toWireActorSpec } from '../../src/options/index.js';

const parts = {
  module: 'file:///a.js',
  exportName: 'A',
  args: Buffer.alloc(0),
  resources: {},
  namespace: 'team',
  execArgv: [],
};

describe('actor spec defaults', () => {
  it('empty options become the spec the client has always sent', () => {
    expect(toWireActorSpec({}, parts)).toEqual({
      ...parts,
      resources: { amounts: {} },
      name: '',
      namespace: 'team',
      maxConcurrency: 1,
      isolation: 'process',
      schedulingStrategy: 'DEFAULT',
      nodeAffinity: null,
      lifetime: '',
      maxRestarts: 0,
      maxTaskRetries: 0,
      env: {},
      placementGroupId: '',
      bundleIndex: -1,
      jobId: '',
    });
    expect(ACTOR_DEFAULTS.namespace).toBe('default');
  });

  it('given options win over the defaults; a group handle travels as its id', () => {
    const opts = checkActorOptions({
      maxConcurrency: 4,
      placementGroup: { id: 'pg-1' },
      bundleIndex: 0,
      nodeAffinity: undefined,
    });
    expect(toWireActorSpec(opts, parts)).toMatchObject({ maxConcurrency: 4, placementGroupId: 'pg-1', bundleIndex: 0 });
  });
});
