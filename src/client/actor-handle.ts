import { InvalidArgumentError, atCallSite } from '../common/index.js';
import type { ObjectRef } from '../objects/index.js';
import type { ActorRoute } from './actor-route.js';
import type { HeadLink } from './head-link.js';
import type { Invoker } from './invoker.js';
import { validateActorOptions, type ActorOptions } from './options.js';
import type { ActorInfo } from './status.js';
import type { ActorClassType, CallProxy, RefProxy } from './types.js';

/** @internal What classes and handles use of the cluster handle that made them. */
export interface HandleParts {
  readonly invoker: Invoker;
  readonly link: HeadLink;
  /** The cluster's id, which a handle carries when it is sent (handle-wire.ts). */
  readonly clusterId: string;
}

/** A class bound to a cluster; `spawn` creates actors from it. */
export class ActorClass<C extends ActorClassType> {
  /** @internal Made by `cluster.actorClass`. */
  constructor(
    private readonly parts: HandleParts,
    readonly module: string,
    readonly exportName: string,
  ) {}

  /** Places and constructs an actor; resolves when its constructor has returned. */
  async spawn(args: ConstructorParameters<C>, options?: ActorOptions): Promise<ActorHandle<C>> {
    const opts = validateActorOptions(options);
    if (!Array.isArray(args)) {
      throw new InvalidArgumentError('spawn takes the constructor arguments as an array, e.g. spawn([10])', {
        context: { field: 'args' },
      });
    }
    let info: ActorInfo;
    try {
      info = await this.parts.invoker.createActor(this.module, this.exportName, args, opts);
    } catch (err) {
      throw atCallSite(err, ActorClass.prototype.spawn);
    }
    return new ActorHandle<C>(this.parts, info);
  }
}

/** Each handle's route, kept off the handle so it is no member users see. */
const routes = new WeakMap<ActorHandle<ActorClassType>, ActorRoute>();

/** @internal The route a handle calls through (the runtime's own requests to the actor use it too). */
export function routeOf(handle: ActorHandle<ActorClassType>): ActorRoute {
  return routes.get(handle)!;
}

/**
 * A typed reference to a live actor. `call.method(...)` calls it directly, without the head. A
 * handle is a value like any other: pass it to calls and spawns, return it, put it (handle-wire.ts);
 * it arrives as a handle to the same actor.
 */
export class ActorHandle<C extends ActorClassType> {
  readonly call: CallProxy<C>;
  /** `ref.method(...)` runs the method and returns an ObjectRef to its result at once; the value stays where it was computed. */
  readonly ref: RefProxy<C>;
  private readonly route: ActorRoute;

  /** @internal Made by `spawn` and `cluster.getActor`. */
  constructor(
    private readonly parts: HandleParts,
    info: ActorInfo,
  ) {
    const route = parts.invoker.route(info);
    this.route = route;
    routes.set(this, route);
    const invoker = parts.invoker;
    const cache = new Map<string, (...args: unknown[]) => Promise<unknown>>();
    this.call = new Proxy({} as CallProxy<C>, {
      get: (_target, prop) => {
        // Not thenable, so `await handle.call` is not mistaken for a promise.
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        let fn = cache.get(prop);
        if (!fn) {
          // An async function the caller awaits: a failure's stack then ends at the caller's line.
          const call = async (...args: unknown[]): Promise<unknown> => {
            try {
              return await invoker.invoke(route, prop, args);
            } catch (err) {
              throw atCallSite(err, call);
            }
          };
          fn = call;
          cache.set(prop, fn);
        }
        return fn;
      },
    });
    const refCache = new Map<string, (...args: unknown[]) => ObjectRef>();
    this.ref = new Proxy({} as RefProxy<C>, {
      get: (_target, prop) => {
        if (typeof prop !== 'string' || prop === 'then') return undefined;
        let fn = refCache.get(prop);
        if (!fn) {
          fn = (...args: unknown[]) => invoker.invokeToRef(route, prop, args);
          refCache.set(prop, fn);
        }
        return fn;
      },
    });
  }

  get id(): string {
    return this.route.current.actorId;
  }
  /** @internal The id of the cluster the actor lives in. */
  get clusterId(): string {
    return this.parts.clusterId;
  }
  get name(): string | undefined {
    return this.route.current.name || undefined;
  }
  get namespace(): string {
    return this.route.current.namespace;
  }
  /** The node it runs on, as last seen by this driver (it changes when the actor restarts elsewhere). */
  get nodeId(): string {
    return this.route.current.nodeId;
  }
  get pid(): number {
    return this.route.current.pid;
  }

  /** Current state from the head (ALIVE, RESTARTING, DEAD with its cause, ...). */
  state(): Promise<ActorInfo> {
    return this.parts.link.getActor({ actorId: this.id });
  }

  /** Kills the actor at once, without restarting it; calls in flight fail with ActorDiedError (killed by the user). */
  async kill(): Promise<void> {
    this.route.markKilled();
    await this.parts.link.killActor(this.id);
  }
}
