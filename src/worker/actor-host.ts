/**
 * An actor host: the process side of ActorService, and the creation and death of its actors.
 * The call stream is in call-stream.ts, module loading in actor-loader.ts, runtime requests in
 * system-requests.ts and collective-member.ts, and the lifetime of callers' objects in owner-leases.ts.
 */
import * as grpc from '@grpc/grpc-js';
import { ActorConstructorError, ActorDiedError, type TroupeError, type DeathCause } from '../common/index.js';
import { actorGone, actorStarted, runAsActor, type ActorScope } from '../common/index.js';
import type { Logger } from '../common/index.js';
import { decode, encode } from '../objects/index.js';
import { ObjectPlane } from '../objects/index.js';
import { decodingRefs } from '../objects/index.js';
import { troupeV1 } from '../transport/index.js';
import { bindServer, serverOptions, closeServer, makeClient, DEFAULT_MAX_MESSAGE_BYTES } from '../transport/index.js';
import { ActorInstance, type Outcome } from './actor-runtime.js';
import type { ActorCount } from './actor-count.js';
import { ActorLoader } from './actor-loader.js';
import { CallStreams } from './call-stream.js';
import type { ActorHostServiceHandlers } from '../generated/troupe/v1/ActorHostService.js';
import { CollectiveMembership } from './collective-member.js';
import { OwnerLeases } from './owner-leases.js';
import type { SystemRequest } from '../collective/index.js';

export interface ActorHostOptions {
  host: string;
  token: string;
  maxMessageBytes?: number;
  log: Logger;
  /** Module loader to share (the process entry starts loading actor modules before this host exists). */
  loader?: ActorLoader;
  /** Actors in the cluster, which bound a collective group's size; none: no such bound. */
  actorCount?: ActorCount;
}

/**
 * Serves ActorService for the actors living in this process (one for `isolation: 'process'`,
 * many for `'shared'`). Each caller's stream delivers calls in order; results are batched per tick.
 */
export class ActorHost {
  private readonly actors = new Map<string, ActorInstance>();
  private readonly dead = new Map<string, DeathCause>();
  private readonly loader: ActorLoader;
  private readonly server: grpc.Server;
  /** Objects held here (large results, refs' values) and the client that pulls others. */
  readonly objects: ObjectPlane;
  /** Callers' objects live while the caller has a stream open here. */
  readonly leases: OwnerLeases;
  private readonly groups: CollectiveMembership;

  constructor(private readonly options: ActorHostOptions) {
    this.loader = options.loader ?? new ActorLoader();
    this.objects = new ObjectPlane({
      token: options.token,
      host: options.host,
      log: options.log.child({ component: 'objects' }),
    });
    this.leases = new OwnerLeases((owner) => this.objects.store.deleteOwner(owner), options.log);
    this.groups = new CollectiveMembership(options.host, options.log, options.actorCount);
    const streams = new CallStreams(this, options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    this.server = new grpc.Server(serverOptions({ token: options.token, log: options.log }, options.maxMessageBytes));
    const handlers: ActorHostServiceHandlers = { Calls: (call) => streams.serve(call) };
    this.server.addService(troupeV1.ActorHostService.service, handlers);
  }

  async listen(): Promise<number> {
    await this.objects.address();
    return bindServer(this.server, this.options.host, 0);
  }

  /** Sends one call to a missing actor through our own server and waits for its answer. */
  async warmUp(port: number): Promise<void> {
    const address = `${this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host}:${port}`;
    const client = makeClient(troupeV1.ActorHostService, address, this.options.token, this.options.maxMessageBytes);
    try {
      await new Promise<void>((resolve, reject) => {
        const stream = client.Calls();
        const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
        stream.on('data', () => {
          clearTimeout(timer);
          stream.end();
          resolve();
        });
        stream.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        stream.write({ calls: [{ seq: 1, actorId: 'warm-up', method: 'warmUp', args: Buffer.alloc(0) }] });
      });
    } finally {
      client.close();
    }
  }

  async close(): Promise<void> {
    await this.objects.close();
    await closeServer(this.server, 200);
  }

  /**
   * Imports the module, finds the export, runs the constructor. Errors name what failed.
   * `clusterToken` (the job supervisor's only) goes to the constructor after the decoded arguments.
   */
  async create(
    scope: ActorScope,
    moduleSpec: string,
    rawArgs: Uint8Array,
    maxConcurrency: number,
    clusterToken?: string,
  ): Promise<void> {
    const { actorId, className: exportName } = scope;
    const cls = await this.loader.load(actorId, moduleSpec, exportName);
    actorStarted(scope);
    let args: unknown;
    try {
      // Decoded as the actor: handles among the arguments bind to its own cluster handle.
      const decoded = runAsActor(scope, () => decodingRefs(() => decode<unknown[]>(rawArgs, 'constructor arguments')));
      args = decoded.sawRefs ? await this.objects.resolveRefs(decoded.result) : decoded.result;
    } catch (err) {
      actorGone(actorId);
      throw err;
    }
    let instance: Record<string, unknown>;
    try {
      const ctorArgs = Array.isArray(args) ? args : [];
      instance = runAsActor(scope, () =>
        clusterToken === undefined ? new cls(...ctorArgs) : new cls(...ctorArgs, { clusterToken }),
      );
    } catch (err) {
      actorGone(actorId);
      const message = err instanceof Error ? err.message : String(err);
      throw new ActorConstructorError(`constructor of ${exportName} threw: ${message}`, {
        cause: err,
        context: { actorId },
        remoteStack: err instanceof Error ? err.stack : undefined,
      });
    }
    this.actors.set(actorId, new ActorInstance(scope, instance, Math.max(1, maxConcurrency)));
  }

  destroy(actorId: string, cause: DeathCause): void {
    const actor = this.actors.get(actorId);
    this.actors.delete(actorId);
    this.dead.set(actorId, cause);
    actor?.destroy(cause);
    if (!actor) return;
    // What the actor owned here goes with it; its cluster handle closes (and its children die at the head).
    actorGone(actorId);
    this.objects.store.deleteOwner(actorId);
    // Its groups go with it: the other members' pending collectives fail naming its rank.
    this.groups.actorGone(actor, ActorDiedError.of(actorId, cause));
  }

  get size(): number {
    return this.actors.size;
  }

  /** The live actor with this id, if it lives here. */
  actor(actorId: string): ActorInstance | undefined {
    return this.actors.get(actorId);
  }

  /** Runs a runtime request the driver sent about one of the actors here. */
  async system(actor: ActorInstance, req: SystemRequest): Promise<Outcome> {
    switch (req.type) {
      case 'collective.open':
        return { value: encode(await this.groups.open(actor, req)) };
      case 'collective.connect':
        await this.groups.connect(actor, req);
        return { value: encode(null) };
      case 'collective.close':
        await this.groups.close(actor, req);
        return { value: encode(null) };
    }
  }

  unknownActor(actorId: string, method: string): TroupeError {
    const cause = this.dead.get(actorId);
    if (cause) return ActorDiedError.of(actorId, cause, method);
    return new ActorDiedError(`call to ${method} failed: actor ${actorId} does not live in this process`, {
      context: { actorId, method },
    });
  }
}
