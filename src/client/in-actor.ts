/**
 * The cluster from inside an actor: `currentCluster()` gives the running actor a Cluster bound to
 * the cluster it lives in (never a new embedded one), made on first use and closed when the actor
 * goes. Its owner id is the actor's: actors it spawns die with it unless detached, and refs it
 * makes are its own. Its objects live on the actor host's own object plane. `getRuntimeContext()`
 * says who and where the running code is, in an actor or in a driver.
 */
import { InvalidArgumentError, currentActor, hostRuntime, onActorGone, type ActorScope } from '../common/index.js';
import type { ObjectPlane } from '../objects/index.js';
import { Cluster, openClusters } from './cluster.js';
import { loaderArgv } from './loader-argv.js';

/** Each actor's cluster handle in this process, by actor id. */
const byActor = new Map<string, Cluster>();

onActorGone((actorId) => {
  const cluster = byActor.get(actorId);
  byActor.delete(actorId);
  void cluster?.close().catch(() => undefined);
});

/** @internal The cluster handle of actor `scope` of this process, made on first use. */
export function actorCluster(scope: ActorScope): Cluster {
  let cluster = byActor.get(scope.actorId);
  if (!cluster) {
    const rt = hostRuntime();
    if (!rt) throw new InvalidArgumentError('actorCluster: this process is not an actor host');
    cluster = new Cluster({
      address: rt.headAddress,
      token: rt.token,
      namespace: scope.namespace,
      maxMessageBytes: rt.maxMessageBytes,
      execArgv: loaderArgv(),
      ownerId: scope.actorId,
      plane: rt.plane as ObjectPlane,
      actor: scope,
      jobId: scope.jobId,
    });
    byActor.set(scope.actorId, cluster);
  }
  return cluster;
}

/**
 * The cluster the running code belongs to. Inside an actor (its constructor, its methods and what
 * they await): the actor's own cluster handle, through which it spawns, calls, puts and gets as a
 * driver does. In a driver: the handle `connect()` returned last.
 */
export function currentCluster(): Cluster {
  if (hostRuntime()) {
    const actor = currentActor();
    if (actor) return actorCluster(actor);
    throw new InvalidArgumentError(
      'currentCluster() was called in an actor process outside any actor’s code (at module load, say): call it in a constructor or method',
    );
  }
  const cluster = openClusters()[0];
  if (!cluster) throw new InvalidArgumentError('currentCluster(): this process has no cluster: call connect() first');
  return cluster;
}

/** Who and where the running code is (Ray's runtime context). */
export interface RuntimeContext {
  /** True inside an actor's code. */
  isActor: boolean;
  /** The actor's id and class; undefined in a driver. */
  actorId: string | undefined;
  className: string | undefined;
  /** The node the code runs on ('' when a driver's machine is not a node of the cluster). */
  nodeId: string;
  namespace: string;
  /** The job ('' outside a job). */
  jobId: string;
  /** Restarts of the actor before this incarnation (0 in a driver). */
  numRestarts: number;
  /** Resources the actor was given ({} in a driver). */
  resources: Record<string, number>;
  /** GPU ids the actor was given ([] in a driver). */
  gpuIds: number[];
}

export function getRuntimeContext(): RuntimeContext {
  const actor = hostRuntime() ? currentActor() : undefined;
  if (actor) {
    return {
      isActor: true,
      actorId: actor.actorId,
      className: actor.className,
      nodeId: actor.nodeId,
      namespace: actor.namespace,
      jobId: actor.jobId,
      numRestarts: actor.numRestarts,
      resources: { ...actor.resources },
      gpuIds: [...actor.gpuIds],
    };
  }
  const cluster = hostRuntime() ? undefined : openClusters()[0];
  return {
    isActor: false,
    actorId: undefined,
    className: undefined,
    nodeId: cluster?.nodeId ?? '',
    namespace: cluster?.namespace ?? 'default',
    jobId: process.env.TROUPE_JOB_ID ?? '',
    numRestarts: 0,
    resources: {},
    gpuIds: [],
  };
}
