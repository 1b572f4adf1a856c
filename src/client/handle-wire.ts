/**
 * Actor handles as values: an ActorHandle inside call arguments, results, `put` values or refs
 * crosses the wire as msgpack extension 43 holding [actor id, namespace, cluster id, name], and is
 * read back as a handle to the same actor, bound to the reading process's own cluster handle (an
 * actor's own, inside an actor). Its first call asks that cluster's head where the actor lives;
 * calls go straight to it from then on. A handle from another cluster is refused, saying so.
 */
import { addExtension } from 'msgpackr';
import { currentActor, hostRuntime } from '../common/index.js';
import { ActorHandle } from './actor-handle.js';
import { openClusters, type Cluster } from './cluster.js';
import { actorCluster } from './in-actor.js';
import type { ActorClassType } from './types.js';

/** msgpack extension type of an ActorHandle (ObjectRef is 42). */
const HANDLE_EXTENSION = 43;

/** Bounds of what a handle on the wire may hold, as the head bounds ids and names. */
const MAX_FIELD_LENGTH = 512;

type HandleWire = [actorId: string, namespace: string, clusterId: string, name: string];

addExtension({
  Class: ActorHandle,
  type: HANDLE_EXTENSION,
  write(handle: ActorHandle<ActorClassType>): HandleWire {
    return [handle.id, handle.namespace, handle.clusterId, handle.name ?? ''];
  },
  read(data: unknown): ActorHandle<ActorClassType> {
    const [actorId, namespace, clusterId, name] = checkWire(data);
    return bindingCluster(clusterId, actorId).handleById(actorId, namespace, name);
  },
});

function checkWire(data: unknown): HandleWire {
  const ok =
    Array.isArray(data) &&
    data.length === 4 &&
    data.every((x) => typeof x === 'string' && x.length <= MAX_FIELD_LENGTH) &&
    /^actor-[0-9a-f]{1,64}$/.test(data[0] as string) &&
    (data[1] as string).length > 0;
  if (!ok) {
    throw new Error(
      'malformed ActorHandle on the wire (expected [actor id "actor-<hex>", namespace, cluster id, name], strings of at most 512 characters)',
    );
  }
  return data as HandleWire;
}

/**
 * The cluster handle a decoded handle is bound to: the running actor's own, else this process's
 * newest open handle to that cluster. Errors thrown here become the decode's SerializationError.
 */
function bindingCluster(clusterId: string, actorId: string): Cluster {
  const actor = hostRuntime() ? currentActor() : undefined;
  const candidates = actor ? [actorCluster(actor)] : openClusters();
  const match = candidates.find((c) => c.clusterId === clusterId);
  if (match) return match;
  if (candidates.length === 0) {
    throw new Error(
      `an ActorHandle (${actorId}) arrived in a process with no open cluster handle to use it through; connect() first`,
    );
  }
  throw new Error(
    `an ActorHandle (${actorId}) from another cluster (cluster id ${clusterId}) cannot be used here: this process is connected to cluster ${candidates
      .map((c) => c.clusterId)
      .join(', ')}; a handle works only in the cluster its actor lives in`,
  );
}
