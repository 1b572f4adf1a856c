/** Valid rows for every table, varied by a number so that overwrites are visible. */
import type { ActorRow, NodeRow, OpaqueRow, RowTypes, TableName } from '../../src/state/index.js';

export const ALL_TABLES: TableName[] = ['nodes', 'actors', 'placementGroups', 'jobs', 'sweeps'];

export function nodeRow(nodeId: string, n = 0): NodeRow {
  return {
    nodeId,
    incarnation: n + 1,
    address: `127.0.0.1:${7000 + (n % 1000)}`,
    hostname: `host-${n}`,
    labels: { zone: n % 2 ? 'a' : 'b' },
    total: { CPU: 8, GPU: n % 3, memory: 16 * 2 ** 30, 'custom/thing': 0.5 },
    numGpuDevices: n % 3,
    state: n % 5 === 4 ? 'DEAD' : 'ALIVE',
    deathReason: n % 5 === 4 ? 'missed heartbeats' : '',
    registeredAtMs: 1_700_000_000_000 + n,
  };
}

export function actorRow(actorId: string, n = 0): ActorRow {
  const placed = n % 4 !== 0;
  return {
    actorId,
    spec: {
      module: 'file:///app/actors.js',
      exportName: 'Counter',
      args: 'AAEC',
      options: { numCpus: 1, name: `c${n}` },
    },
    ownerId: 'driver-1',
    state: placed ? 'ALIVE' : 'PENDING',
    nodeId: placed ? 'node-1' : '',
    address: placed ? `127.0.0.1:${9000 + (n % 1000)}` : '',
    pid: placed ? 1000 + n : 0,
    allocation: placed ? { nodeId: 'node-1', resources: { CPU: 1, GPU: 0.5 }, gpuIds: [n % 8] } : null,
    death: n % 7 === 6 ? { type: 'exited', exitCode: 1 } : null,
    numRestarts: n % 3,
    createdAtMs: 1_700_000_000_000 + n,
  };
}

export function opaqueRow(id: string, n = 0): OpaqueRow {
  return { id, version: n, bundles: [{ CPU: 1 }, { GPU: 1 }], strategy: 'PACK', note: 'ünïcødé ✓' };
}

export function rowFor<T extends TableName>(table: T, id: string, n = 0): RowTypes[T] {
  switch (table) {
    case 'nodes':
      return nodeRow(id, n) as RowTypes[T];
    case 'actors':
      return actorRow(id, n) as RowTypes[T];
    default:
      return opaqueRow(id, n) as RowTypes[T];
  }
}

/** Every byte value, twice, with bytes that are not valid UTF-8 among them. */
export function allBytes(): Uint8Array {
  const out = new Uint8Array(512);
  for (let i = 0; i < out.length; i++) out[i] = i % 256;
  return out;
}
