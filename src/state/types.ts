/**
 * What the head must remember across a restart, as typed tables behind one interface.
 * MemoryStore (embedded default) and RedisStore (ioredis) implement it and pass one contract suite.
 *
 * Rows are plain JSON-able objects; each store validates what it loads and names the key of any
 * row it cannot read.
 */

/** Resource amounts by name ('CPU', 'GPU', 'memory' in bytes, custom). */
export type Resources = Record<string, number>;

export interface NodeRow {
  nodeId: string;
  /** Grows by one each time any node registers; fences off a node declared dead that comes back. */
  incarnation: number;
  address: string;
  hostname: string;
  labels: Record<string, string>;
  total: Resources;
  numGpuDevices: number;
  state: 'ALIVE' | 'DEAD';
  deathReason: string;
  registeredAtMs: number;
}

export interface ActorRow {
  actorId: string;
  /** The validated ActorSpec as the head keeps it (module, exportName, args as base64, options). */
  spec: Record<string, unknown>;
  ownerId: string;
  state: 'PENDING' | 'CREATING' | 'ALIVE' | 'RESTARTING' | 'DEAD';
  nodeId: string;
  address: string;
  pid: number;
  /** Resources and GPU devices held on `nodeId` while placed. */
  allocation: {
    nodeId: string;
    resources: Resources;
    gpuIds: number[];
    bundle?: { groupId: string; index: number; gpuIds: number[] };
  } | null;
  /** JSON DeathCause of the last death (also set while RESTARTING). */
  death: Record<string, unknown> | null;
  numRestarts: number;
  createdAtMs: number;
}

/** Rows of later features (placement groups, jobs, sweeps): stored whole, validated by their owners. */
export interface OpaqueRow {
  id: string;
  [key: string]: unknown;
}

export type TableName = 'nodes' | 'actors' | 'placementGroups' | 'jobs' | 'sweeps';

export interface RowTypes {
  nodes: NodeRow;
  actors: ActorRow;
  placementGroups: OpaqueRow;
  jobs: OpaqueRow;
  sweeps: OpaqueRow;
}

/**
 * One step of an atomic commit. Either every step of a commit applies, or none does (a failed
 * `claimName` aborts the whole commit).
 */
export type Mutation =
  | { op: 'put'; table: TableName; id: string; row: RowTypes[TableName] }
  | { op: 'delete'; table: TableName; id: string }
  /** Binds namespace/name to actorId; fails the commit if another actor holds the name. */
  | { op: 'claimName'; namespace: string; name: string; actorId: string }
  /** Unbinds namespace/name if (and only if) actorId holds it. */
  | { op: 'releaseName'; namespace: string; name: string; actorId: string }
  | { op: 'kvPut'; namespace: string; key: string; value: Uint8Array }
  | { op: 'kvDelete'; namespace: string; key: string };

export type CommitResult =
  | { ok: true }
  | { ok: false; reason: 'name-taken'; namespace: string; name: string; holder: string };

export interface NamedActor {
  namespace: string;
  name: string;
  actorId: string;
}

export interface StateStore {
  /** 'memory' or 'redis', for logs and status. */
  readonly kind: string;
  /** Where the state lives, with any password removed (for logs and `troupe status`). */
  readonly description: string;

  get<T extends TableName>(table: T, id: string): Promise<RowTypes[T] | undefined>;
  /** Every row of a table (the head's reload on start). Throws StateCorruptError naming the key of a bad row. */
  list<T extends TableName>(table: T): Promise<RowTypes[T][]>;
  put<T extends TableName>(table: T, id: string, row: RowTypes[T]): Promise<void>;
  delete(table: TableName, id: string): Promise<void>;

  /** Applies all mutations atomically (MULTI or a Lua script on Redis). */
  commit(mutations: Mutation[]): Promise<CommitResult>;

  lookupName(namespace: string, name: string): Promise<string | undefined>;
  listNames(): Promise<NamedActor[]>;

  kvGet(namespace: string, key: string): Promise<Uint8Array | undefined>;
  kvList(namespace: string, prefix?: string): Promise<string[]>;

  /** Atomically increments a named counter and returns the new value (starts at 1). */
  incr(counter: string): Promise<number>;

  /** Resolves when the store answers (Redis: PING); rejects with a clear error otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
