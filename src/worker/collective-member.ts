/**
 * The actor side of collective groups: what the runtime requests `collective.open`, `connect` and
 * `close` do for an actor of this process, and the endpoints opened but not yet connected.
 */
import { ActorDiedError, InvalidArgumentError, type TroupeError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import {
  CollectiveGroup,
  MAX_GROUP_SIZE,
  collectiveBackend,
  groupsOf,
  joinGroup,
  leaveGroup,
  loadCollectiveBackend,
  type BackendEndpoint,
} from '../collective/index.js';
import type { ActorCount } from './actor-count.js';
import type { ActorInstance } from './actor-runtime.js';
import type { SystemRequest } from '../collective/index.js';

type Request<T extends SystemRequest['type']> = Extract<SystemRequest, { type: T }>;

/** Groups one actor may have opened and not yet connected: each holds a listening endpoint. */
export const MAX_FORMING_PER_ACTOR = 64;
/**
 * Members of all the groups one actor has opened and not yet connected, together: an endpoint
 * holds about 1 KB per member (64 opens of 4096 took 235 MB before this bound).
 */
export const MAX_FORMING_MEMBERS_PER_ACTOR = 2 * MAX_GROUP_SIZE;

/** Opened endpoints (and opens under way) of one actor: how many, and their members together. */
interface Held {
  groups: number;
  members: number;
}

export class CollectiveMembership {
  /** Collective groups being formed, by actor id and group name: opened, not yet connected. */
  private readonly forming = new Map<
    string,
    { endpoint: BackendEndpoint; rank: number; size: number; backend: string }
  >();
  /** Opens under way, by actor id: they count towards the bounds before they are formed. */
  private readonly opening = new Map<string, Held>();

  constructor(
    private readonly host: string,
    private readonly log: Logger,
    private readonly actorCount?: ActorCount,
  ) {}

  /** What the actor holds, besides the group `key` (which an open of the same name replaces). */
  private held(id: string, key: string): Held {
    const held = { ...(this.opening.get(id) ?? { groups: 0, members: 0 }) };
    for (const [k, f] of this.forming) {
      if (k === key || !k.startsWith(`${id}\0`)) continue;
      held.groups++;
      held.members += f.size;
    }
    return held;
  }

  /** Opens the actor's endpoint of the group; returns where its peers reach it. */
  async open(actor: ActorInstance, req: Request<'collective.open'>): Promise<string> {
    const { name, rank, size, backend, token } = req;
    const id = actor.actorId;
    const key = keyOf(id, name);
    // A group's members are actors: with fewer in the cluster it can never form. Refused before
    // anything is held for it, on a fresh count (the cached one may predate the members' spawns).
    const allowed = await this.actorCount?.allows(size);
    if (allowed && !allowed.ok) {
      throw new InvalidArgumentError(
        `collective group '${name}' can never form: size ${size} but the cluster has ${allowed.count} ` +
          `actor${allowed.count === 1 ? '' : 's'} (a group's members are actors)`,
        { context: { actorId: id, field: 'size' } },
      );
    }
    const held = this.held(id, key);
    if (held.groups >= MAX_FORMING_PER_ACTOR || held.members + size > MAX_FORMING_MEMBERS_PER_ACTOR) {
      throw new InvalidArgumentError(
        `actor ${id} already has ${held.groups} collective groups of ${held.members} members opened and not ` +
          `connected, at most ${MAX_FORMING_PER_ACTOR} groups of ${MAX_FORMING_MEMBERS_PER_ACTOR} members ` +
          'together: connect or close them first',
        { context: { actorId: id, field: 'name' } },
      );
    }
    const opening = this.opening.get(id) ?? { groups: 0, members: 0 };
    opening.groups++;
    opening.members += size;
    this.opening.set(id, opening);
    let endpoint: BackendEndpoint;
    try {
      // 'nccl' comes with the native core: loaded, and so registered, only when a group asks for it.
      await loadCollectiveBackend(backend);
      const open = collectiveBackend(backend);
      endpoint = await open({ rank, size, token, host: this.host, log: this.log.child({ group: name, rank }) });
    } finally {
      opening.groups--;
      opening.members -= size;
      if (opening.groups === 0) this.opening.delete(id);
    }
    const previous = this.forming.get(key);
    if (previous) void previous.endpoint.close().catch(() => undefined);
    this.forming.set(key, { endpoint, rank, size, backend });
    return endpoint.rendezvous;
  }

  /** Connects the opened endpoint to its peers and registers the group with the actor. */
  async connect(actor: ActorInstance, req: Request<'collective.connect'>): Promise<void> {
    const { name, rendezvous, timeoutMs } = req;
    const key = keyOf(actor.actorId, name);
    const f = this.forming.get(key);
    if (!f) {
      throw new ActorDiedError(`collective group '${name}' was not opened on actor ${actor.actorId}`, {
        context: { actorId: actor.actorId },
      });
    }
    this.forming.delete(key);
    let group: CollectiveGroup;
    try {
      group = new CollectiveGroup(name, f.backend, f.rank, f.size, await f.endpoint.connect(rendezvous, timeoutMs));
    } catch (err) {
      await f.endpoint.close().catch(() => undefined);
      throw err;
    }
    try {
      joinGroup(actor.target, group);
    } catch (err) {
      await group.close(err as Error);
      throw err;
    }
  }

  /** Leaves the group, or drops its endpoint if it was still being formed. */
  async close(actor: ActorInstance, req: Request<'collective.close'>): Promise<void> {
    const { name } = req;
    const key = keyOf(actor.actorId, name);
    const f = this.forming.get(key);
    this.forming.delete(key);
    await f?.endpoint.close().catch(() => undefined);
    await leaveGroup(actor.target, name)?.close(new Error(`the driver destroyed collective group '${name}'`));
  }

  /** The actor died: its groups go with it, and the other members' pending collectives fail with `why`. */
  actorGone(actor: ActorInstance, why: TroupeError): void {
    for (const g of groupsOf(actor.target)) {
      leaveGroup(actor.target, g.name);
      void g.close(why).catch(() => undefined);
    }
    for (const [key, f] of this.forming) {
      if (!key.startsWith(`${actor.actorId}\0`)) continue;
      this.forming.delete(key);
      void f.endpoint.close().catch(() => undefined);
    }
  }
}

const keyOf = (actorId: string, name: string): string => `${actorId}\0${name}`;
