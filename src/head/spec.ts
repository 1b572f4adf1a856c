/**
 * The head's check of every actor spec it receives: the shared actor-spec table of
 * src/common/actor-spec.ts (the client checks options with the same one), with the head's own
 * check of resource maps, which also normalises their amounts.
 */
import { checkWireActorSpec, type CheckedActorSpec, type SpecPolicy, type WireActorSpec } from '../options/index.js';
import { validateResourceRequest, type ResourceMap } from './resources.js';
import type { NodeAffinity, PlacementRequest, SchedulingStrategy } from './scheduler.js';

export type { WireActorSpec } from '../options/index.js';

export interface ValidSpec extends CheckedActorSpec {
  resources: ResourceMap;
  schedulingStrategy: SchedulingStrategy;
  nodeAffinity: NodeAffinity | undefined;
}

/**
 * Validates a spec from the wire. The client checks options first with the same rules; this
 * guards the head against any caller (other languages, old clients, malformed requests).
 * @param policy the head's execArgv policy (default: the tsx loader only).
 */
export function validateSpec(spec: WireActorSpec | null | undefined, policy: SpecPolicy = {}): ValidSpec {
  return checkWireActorSpec(spec, (amounts) => validateResourceRequest(amounts, 'resources'), policy);
}

/** Where the scheduler should look for room for this actor. */
export function placementOf(spec: ValidSpec): PlacementRequest {
  const req: PlacementRequest = {
    resources: spec.resources,
    strategy: spec.schedulingStrategy,
    nodeAffinity: spec.nodeAffinity,
  };
  if (spec.placementGroupId) req.placementGroup = { groupId: spec.placementGroupId, bundleIndex: spec.bundleIndex };
  return req;
}
