/** Options of `cluster.collectiveGroup`, checked with the shared table helper. */
import { z } from 'zod';
import { InvalidArgumentError } from '../common/index.js';
import { checkOptions, field, type Fields } from '../options/index.js';
import { MAX_CONNECT_TIMEOUT_MS, MAX_GROUP_SIZE } from '../collective/index.js';

export interface CollectiveGroupOptions {
  /** 'tcp' (default), or 'nccl' where the native core provides it. */
  backend?: string;
  /** The group's name inside the actors; default 'default'. An actor can be in several groups. */
  name?: string;
  /** How long members wait for each other to connect. Default 30000 ms. */
  timeoutMs?: number;
}

const DEFAULTS: Required<CollectiveGroupOptions> = { backend: 'tcp', name: 'default', timeoutMs: 30_000 };

const FIELDS: Fields<CollectiveGroupOptions> = {
  backend: field(z.string().min(1), 'a non-empty string'),
  name: field(z.string().min(1).max(200), 'a string of 1 to 200 characters'),
  timeoutMs: field(
    z.number().positive().max(MAX_CONNECT_TIMEOUT_MS),
    `a number > 0, at most ${MAX_CONNECT_TIMEOUT_MS}`,
  ),
};

/**
 * Checks the members (`isHandle` tells an actor handle) and the options; returns the options
 * with their defaults filled in.
 */
export function validateCollectiveOptions(
  members: readonly unknown[],
  options: unknown,
  isHandle: (m: unknown) => m is { readonly id: string },
): Required<CollectiveGroupOptions> {
  if (!Array.isArray(members) || members.length === 0 || !members.every(isHandle)) {
    throw new InvalidArgumentError('collectiveGroup takes a non-empty array of actor handles', {
      context: { field: 'members' },
    });
  }
  if (members.length > MAX_GROUP_SIZE) {
    throw new InvalidArgumentError(`a collective group holds at most ${MAX_GROUP_SIZE} actors, got ${members.length}`, {
      context: { field: 'members' },
    });
  }
  const ids = members.map((m) => m.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) {
    throw new InvalidArgumentError(`actor ${dup} appears twice among the members; each actor takes one rank`, {
      context: { field: 'members' },
    });
  }
  if (options === undefined) options = {};
  const opts = checkOptions<CollectiveGroupOptions>(options, FIELDS, { what: 'collectiveGroup' });
  return {
    backend: opts.backend ?? DEFAULTS.backend,
    name: opts.name ?? DEFAULTS.name,
    timeoutMs: opts.timeoutMs ?? DEFAULTS.timeoutMs,
  };
}
