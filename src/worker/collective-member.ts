/**
 * The actor side of collective groups: what the runtime requests `collective.open`, `connect` and
 * `close` do for an actor of this process, and the endpoints opened but not yet connected.
 */
import { ActorDiedError, InvalidArgumentError, type TroupeError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import {
  CollectiveGroup,
  collectiveBackend,
  groupsOf,
  joinGroup,
  leaveGroup,
  loadCollectiveBackend,
  type BackendEndpoint,
} from '../collective/index.js';
import type { ActorInstance } from './actor-runtime.js';
import type { SystemRequest } from '../collective/index.js';

type Request<T extends SystemRequest['type']> = Extract<SystemRequest, { type: T }>;

/** Groups one actor may have opened and not yet connected: each holds a listening endpoint. */
export const MAX_FORMING_PER_ACTOR = 64;

export class CollectiveMembership {
  /** Collective groups being formed, by actor id and group name: opened, not yet connected. */
  private readonly forming = new Map<
    string,
    { endpoint: BackendEndpoint; rank: number; size: number; backend: string }
  >();

  constructor(
    private readonly host: string,
    private readonly log: Logger,
  ) {}

  /** Opens under way, by actor id: they count towards MAX_FORMING_PER_ACTOR before they are formed. */
  private readonly opening = new Map<string, number>();

  /** Opens the actor's endpoint of the group; returns where its peers reach it. */
  async open(actor: ActorInstance, req: Request<'collective.open'>): Promise<string> {
    const { name, rank, size, backend, token } = req;
    const id = actor.actorId;
    const key = keyOf(id, name);
    const formed = [...this.forming.keys()].filter((k) => k.startsWith(`${id}\0`) && k !== key).length;
    const held = (this.opening.get(id) ?? 0) + formed;
    if (held >= MAX_FORMING_PER_ACTOR) {
      throw new InvalidArgumentError(
        `actor ${id} already has ${held} collective groups opened and not connected, ` +
          `at most ${MAX_FORMING_PER_ACTOR}: connect or close them first`,
        { context: { actorId: id, field: 'name' } },
      );
    }
    this.opening.set(id, (this.opening.get(id) ?? 0) + 1);
    let endpoint: BackendEndpoint;
    try {
      // 'nccl' comes with the native core: loaded, and so registered, only when a group asks for it.
      await loadCollectiveBackend(backend);
      const open = collectiveBackend(backend);
      endpoint = await open({ rank, size, token, host: this.host, log: this.log.child({ group: name, rank }) });
    } finally {
      const n = this.opening.get(id)! - 1;
      if (n > 0) this.opening.set(id, n);
      else this.opening.delete(id);
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
