import { randomBytes } from 'node:crypto';
import { TroupeError } from '../common/index.js';
import { systemCall, type SystemRequest } from '../collective/index.js';
import { ActorHandle, routeOf } from './actor-handle.js';
import { validateCollectiveOptions, type CollectiveGroupOptions } from './collective-options.js';
import type { Invoker } from './invoker.js';
import type { ActorClassType } from './types.js';

/** A group formed by `cluster.collectiveGroup`. */
export interface CollectiveGroupHandle {
  readonly name: string;
  readonly backend: string;
  readonly size: number;
  readonly members: readonly ActorHandle<ActorClassType>[];
  /** Every member leaves the group; collectives pending in it fail. */
  destroy(): Promise<void>;
}

/**
 * @internal Forms a collective group: each member opens an endpoint and answers its rendezvous,
 * then every member connects to all of them. When any step fails, every member drops the group.
 */
export async function formCollectiveGroup(
  invoker: Invoker,
  members: readonly ActorHandle<ActorClassType>[],
  options: CollectiveGroupOptions,
): Promise<CollectiveGroupHandle> {
  const isHandle = (m: unknown): m is ActorHandle<ActorClassType> => m instanceof ActorHandle;
  const opts = validateCollectiveOptions(members, options, isHandle);
  const { name, backend, timeoutMs } = opts;
  const token = randomBytes(24).toString('base64url');
  const routes = members.map((m) => routeOf(m));
  const size = routes.length;
  // Runtime requests travel on each member's call stream, like its calls; errors name the member's rank.
  const ask = (rank: number, req: SystemRequest): Promise<unknown> => {
    const { method, args } = systemCall(req);
    return invoker.invoke(routes[rank]!, method, args).catch((err: unknown) => {
      if (err instanceof TroupeError) err.context.rank ??= String(rank);
      throw err;
    });
  };
  const closeAll = (): Promise<unknown> =>
    Promise.allSettled(routes.map((_, i) => ask(i, { type: 'collective.close', name })));
  try {
    const rendezvous = (await Promise.all(
      routes.map((_, rank) => ask(rank, { type: 'collective.open', name, rank, size, backend, token })),
    )) as string[];
    await Promise.all(routes.map((_, i) => ask(i, { type: 'collective.connect', name, rendezvous, timeoutMs })));
  } catch (err) {
    await closeAll();
    throw err;
  }
  return {
    name,
    backend,
    size: members.length,
    members: [...members],
    destroy: async () => {
      await closeAll();
    },
  };
}
