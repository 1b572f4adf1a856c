/**
 * `commit()` on Redis: one Lua script that first checks every key is a hash (or absent) and
 * replays the name claims and releases in order, then applies all mutations, or none.
 * Redis does not roll back a script that fails half way, so everything that could fail is checked
 * before the first write.
 *
 * KEYS: every key the commit touches. ARGV: four entries per mutation: op, key index (1-based into
 * KEYS), field, value. Replies: {1} applied; {0, i, holder} mutation i (0-based) claims a name that
 * `holder` has; {-1, k, type} KEYS[k] holds a `type`, not a hash.
 */
import { StateCorruptError } from '../common/index.js';
import { encodeRow } from './rows.js';
import { nameField, type RedisKeys } from './redis-keys.js';
import type { CommitResult, Mutation } from './types.js';

export const COMMIT_SCRIPT_NAME = 'troupeCommit';

export const COMMIT_LUA = `
for k = 1, #KEYS do
  local t = redis.call('TYPE', KEYS[k]).ok
  if t ~= 'hash' and t ~= 'none' then return {-1, k, t} end
end
local n = #ARGV / 4
local names = {}
for i = 0, n - 1 do
  local op = ARGV[i * 4 + 1]
  if op == 'C' or op == 'R' then
    local key = KEYS[tonumber(ARGV[i * 4 + 2])]
    local field = ARGV[i * 4 + 3]
    local actor = ARGV[i * 4 + 4]
    local holder = names[field]
    if holder == nil then holder = redis.call('HGET', key, field) end
    if op == 'C' then
      if holder and holder ~= actor then return {0, i, holder} end
      names[field] = actor
    elseif holder == actor then
      names[field] = false
    end
  end
end
for i = 0, n - 1 do
  local op = ARGV[i * 4 + 1]
  local key = KEYS[tonumber(ARGV[i * 4 + 2])]
  local field = ARGV[i * 4 + 3]
  local value = ARGV[i * 4 + 4]
  if op == 'P' or op == 'K' or op == 'C' then
    redis.call('HSET', key, field, value)
  elseif op == 'D' or op == 'X' then
    redis.call('HDEL', key, field)
  elseif op == 'R' then
    if redis.call('HGET', key, field) == value then redis.call('HDEL', key, field) end
  end
end
return {1}
`;

export interface CommitCall {
  keys: string[];
  args: Array<string | Buffer>;
}

/** Encodes mutations as the script's KEYS and ARGV (rows are validated and encoded here). */
export function commitCall(keys: RedisKeys, mutations: Mutation[]): CommitCall {
  const keyList: string[] = [];
  const index = new Map<string, number>();
  const keyIndex = (key: string): string => {
    let i = index.get(key);
    if (i === undefined) {
      i = keyList.push(key);
      index.set(key, i);
    }
    return String(i);
  };
  const args: Array<string | Buffer> = [];
  for (const m of mutations) {
    switch (m.op) {
      case 'put':
        args.push('P', keyIndex(keys.table(m.table)), m.id, encodeRow(m.table, m.id, m.row));
        break;
      case 'delete':
        args.push('D', keyIndex(keys.table(m.table)), m.id, '');
        break;
      case 'claimName':
        args.push('C', keyIndex(keys.names), nameField(m.namespace, m.name), m.actorId);
        break;
      case 'releaseName':
        args.push('R', keyIndex(keys.names), nameField(m.namespace, m.name), m.actorId);
        break;
      case 'kvPut':
        args.push(
          'K',
          keyIndex(keys.kv(m.namespace)),
          m.key,
          Buffer.from(m.value.buffer, m.value.byteOffset, m.value.byteLength),
        );
        break;
      case 'kvDelete':
        args.push('X', keyIndex(keys.kv(m.namespace)), m.key, '');
        break;
    }
  }
  return { keys: keyList, args };
}

/** Turns the script's reply into a CommitResult (or the error for foreign data under a key). */
export function commitResult(reply: unknown, call: CommitCall, mutations: Mutation[]): CommitResult {
  const [status, at, what] = Array.isArray(reply) ? (reply as unknown[]) : [];
  if (status === 1) return { ok: true };
  if (status === 0 && typeof at === 'number') {
    const m = mutations[at];
    if (m?.op === 'claimName')
      return { ok: false, reason: 'name-taken', namespace: m.namespace, name: m.name, holder: String(what) };
  }
  if (status === -1 && typeof at === 'number') {
    const key = call.keys[at - 1] ?? '?';
    return throwForeign(key, String(what));
  }
  throw new StateCorruptError(
    `the commit script answered ${JSON.stringify(reply)}, which this Troupe does not understand`,
  );
}

function throwForeign(key: string, type: string): never {
  throw new StateCorruptError(
    `state store key ${key} holds a Redis ${type}, not a hash, so it is not Troupe data; nothing was written. ` +
      'Delete that key or start the head with another key prefix.',
    { context: { key } },
  );
}
