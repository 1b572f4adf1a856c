/** The state store component: what the head must remember across a restart. */
export type {
  ActorRow,
  CommitResult,
  Mutation,
  NamedActor,
  NodeRow,
  OpaqueRow,
  Resources,
  RowTypes,
  StateStore,
  TableName,
} from './types.js';
export { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
export { RedisStore, type RedisStoreOptions } from './redis-store.js';
export { openStore, STATE_URL_FORMS, type OpenStoreOptions } from './open-store.js';
export { DEFAULT_KEY_PREFIX } from './redis-keys.js';
export { TABLES } from './rows.js';
