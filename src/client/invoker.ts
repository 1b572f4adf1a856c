import { toWireActorSpec } from '../options/index.js';
import { InvalidArgumentError, ShutDownError } from '../common/index.js';
import type { EncodedArgs, ObjectTable, OwnedObject } from '../objects/index.js';
import type { ObjectRef } from '../objects/index.js';
import { ActorConnection, type OutgoingCall } from './actor-connection.js';
import { ActorRoute, type RouteHost } from './actor-route.js';
import type { HeadLink } from './head-link.js';
import { resourceRequest, type ActorOptions } from './options.js';
import type { ActorInfo } from './status.js';

export interface InvokerOptions {
  token: string;
  namespace: string;
  maxMessageBytes?: number;
  ownerId: string;
  /** Loader flags actor processes need (e.g. tsx), inherited from this process. */
  execArgv: string[];
  /** True once the cluster handle was shut down. */
  isClosed(): boolean;
  /** The job this process belongs to ('' outside one), passed on to the actors it spawns. */
  jobId?: string;
}

const EMPTY = Buffer.alloc(0);

/** How long a caller whose stream broke waits for the head to say the actor restarted or died. */
const RESTART_WAIT_MS = 30_000;

/**
 * @internal The driver's call path: spawns actors and calls them directly over one connection per
 * host process, encoding arguments (refs among them) through the driver's object table.
 */
export class Invoker {
  private readonly connections = new Map<string, ActorConnection>();
  private readonly routes = new Map<string, ActorRoute>();
  private argsSeq = 0;

  constructor(
    private readonly link: HeadLink,
    private readonly objects: ObjectTable,
    private readonly opts: InvokerOptions,
  ) {}

  async createActor(module: string, exportName: string, args: unknown[], options: ActorOptions): Promise<ActorInfo> {
    this.link.assertOpen();
    const resources = resourceRequest(options);
    // Refs among the constructor arguments are resolved by the new actor's process, like a call's.
    let encoded = this.objects.encodeArgs(args, 'constructor arguments');
    const refs = encoded.refs;
    if (encoded.parts) {
      throw new InvalidArgumentError(
        `constructor arguments of ${exportName} hold arrays of 64 KiB or more; put them with cluster.put(...) and pass the ref instead`,
        { context: { field: 'args' } },
      );
    }
    this.objects.pin(refs);
    try {
      if (refs.some((o) => o.status !== 'ready')) {
        for (const o of refs) await this.objects.waitReady(o, undefined, 'spawn');
        encoded = this.objects.encodeArgs(args, 'constructor arguments');
      }
      const spec = toWireActorSpec(options, {
        module,
        exportName,
        args: encoded.envelope,
        resources,
        namespace: this.opts.namespace,
        execArgv: this.opts.execArgv,
        jobId: this.opts.jobId,
      });
      return await this.link.createActor(spec, `the spawn request for ${exportName} (with its constructor arguments)`);
    } finally {
      this.objects.unpin(refs);
    }
  }

  /** The shared view of one actor for every handle this driver holds to it. */
  route(info: ActorInfo): ActorRoute {
    let route = this.routes.get(info.actorId);
    if (!route) {
      route = new ActorRoute(info, this.routeHost);
      this.routes.set(info.actorId, route);
    }
    return route;
  }

  /** Calls `method` and returns at once a ref to its result, which stays where it was computed. */
  invokeToRef(route: ActorRoute, method: string, args: unknown[]): ObjectRef {
    const { ref, obj } = this.objects.create();
    void this.invoke(route, method, args, obj).catch(() => undefined); // the ref carries the error
    return ref;
  }

  /**
   * Calls `method`; with `into`, the result is kept where it was computed and `into` (the object of
   * a ref) learns where. Calls whose arguments hold refs that are not ready yet wait for them, and
   * later calls to the same actor queue behind, so calls still run in the order made.
   */
  invoke(route: ActorRoute, method: string, args: unknown[], into?: OwnedObject): Promise<unknown> {
    const result = this.invokeInner(route, method, args, into);
    if (into) result.catch((err: unknown) => into.settle(undefined, err));
    return result;
  }

  /**
   * As `invoke` into `into`, but a failure leaves `into` pending: the caller may run the call again
   * into the same object (a task whose executor died) or settle it itself.
   */
  invokeKeepingInto(route: ActorRoute, method: string, args: unknown[], into: OwnedObject): Promise<unknown> {
    return this.invokeInner(route, method, args, into);
  }

  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }

  private invokeInner(
    route: ActorRoute,
    method: string,
    args: unknown[],
    into: OwnedObject | undefined,
  ): Promise<unknown> {
    if (this.opts.isClosed()) {
      return Promise.reject(new ShutDownError(`cannot call ${method}: the cluster handle was shut down`));
    }
    const what = `the arguments of ${method}`;
    let enc: EncodedArgs;
    try {
      enc = this.objects.encodeArgs(args, what);
    } catch (err) {
      return Promise.reject(err);
    }
    const refs = enc.refs;
    this.objects.pin(refs);
    const needsPlane = enc.parts !== undefined && !this.objects.plane.started;
    if (route.chained === 0 && !needsPlane && refs.every((o) => o.status === 'ready'))
      return this.send(route, method, enc, into);

    route.chained++;
    const prev = route.sendChain ?? Promise.resolve();
    let issued!: () => void;
    const tail = new Promise<void>((resolve) => (issued = resolve));
    route.sendChain = tail;
    void tail.then(() => {
      route.chained--;
      if (route.sendChain === tail) route.sendChain = undefined;
    });
    return prev.then(async () => {
      try {
        for (const o of refs) await this.objects.waitReady(o, undefined, `call to ${method}: argument`);
        if (enc.parts) await this.objects.plane.address();
        // Encoded again: the refs now carry where their values are.
        const ready = this.objects.encodeArgs(args, what);
        return this.send(route, method, { ...ready, refs }, into);
      } catch (err) {
        this.objects.unpin(refs);
        throw err;
      } finally {
        issued();
      }
    });
  }

  /** Sends an encoded call now (synchronously queued on its stream) and turns what comes back into a value. */
  private send(route: ActorRoute, method: string, enc: EncodedArgs, into: OwnedObject | undefined): Promise<unknown> {
    const plane = this.objects.plane;
    let out: OutgoingCall;
    let argsObject: string | undefined;
    if (enc.parts) {
      // Large arrays stay in this process until the call is over; the callee pulls them.
      argsObject = `${this.opts.ownerId}.args.${(this.argsSeq++).toString(36)}`;
      out = { args: EMPTY, argsObject: plane.hold(argsObject, enc.parts, { owner: this.objects.ownerId }) };
    } else {
      out = { args: enc.envelope };
    }
    if (into) out.storeAs = into.id;
    const done = (): void => {
      this.objects.unpin(enc.refs);
      if (argsObject) plane.store.delete(argsObject);
    };
    return route.call(method, out).then(
      ({ outcome, holder }) => {
        done();
        if (into) {
          if ('value' in outcome) into.settle({ kind: 'inline', envelope: outcome.value });
          else into.settle({ kind: 'stored', location: outcome.stored, holder });
          return undefined;
        }
        // Delivered once: refs inside come out borrowed, with the counts their sender added.
        if ('value' in outcome) return plane.decodeValue(outcome.value, `the result of ${method}`, true);
        return plane.fetchValue(outcome.stored, `the result of ${method}`, { inherit: true });
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
  }

  private readonly routeHost: RouteHost = {
    connection: (address) => {
      let conn = this.connections.get(address);
      if (!conn) {
        conn = new ActorConnection(address, this.opts.token, this.opts.maxMessageBytes, this.opts.ownerId);
        this.connections.set(address, conn);
      }
      return conn;
    },
    locate: (actorId) => this.link.getActor({ actorId }),
    awaitRestart: (actorId, knownRestarts) =>
      this.link.getActorOnce(
        { actorId, waitForRestartMs: RESTART_WAIT_MS, knownNumRestarts: knownRestarts },
        RESTART_WAIT_MS + 10_000,
      ),
  };
}
