import { InvalidArgumentError } from '../common/errors.js';
import { validateResourceRequest, type ResourceMap } from './resources.js';
import type { NodeAffinity, SchedulingStrategy } from './scheduler.js';

/** An ActorSpec as it arrives over the wire (proto-loader objects, defaults filled in). */
export interface WireActorSpec {
  module: string;
  exportName: string;
  args: Buffer;
  resources: { amounts: Record<string, number> } | null;
  name: string;
  namespace: string;
  maxConcurrency: number;
  isolation: string;
  schedulingStrategy: string;
  nodeAffinity: { nodeId: string; soft: boolean } | null;
  lifetime: string;
  maxRestarts: number;
  maxTaskRetries: number;
  env: Record<string, string>;
  execArgv: string[];
  placementGroupId: string;
  bundleIndex: number;
}

export interface ValidSpec extends Omit<WireActorSpec, 'resources' | 'nodeAffinity' | 'isolation' | 'schedulingStrategy'> {
  resources: ResourceMap;
  isolation: 'process' | 'shared';
  schedulingStrategy: SchedulingStrategy;
  nodeAffinity: NodeAffinity | undefined;
}

const bad = (field: string, message: string): InvalidArgumentError =>
  new InvalidArgumentError(`${field} ${message}`, { context: { field } });

/**
 * Validates a spec from the wire. The client validates options first with friendlier messages;
 * this guards the head against any caller (other languages, old clients, malformed requests).
 */
export function validateSpec(spec: WireActorSpec | null | undefined): ValidSpec {
  if (!spec) throw bad('spec', 'is required');
  if (!spec.module) throw bad('spec.module', 'is required (a file URL, path or package name)');
  if (!spec.exportName) throw bad('spec.exportName', 'is required (the name of the exported class)');
  const resources = validateResourceRequest(spec.resources?.amounts ?? {}, 'resources');
  const isolation = spec.isolation || 'process';
  if (isolation !== 'process' && isolation !== 'shared') throw bad('isolation', `must be 'process' or 'shared', got '${isolation}'`);
  if (isolation === 'shared' && (resources.GPU ?? 0) > 0) throw bad('isolation', "must be 'process' for an actor that uses GPUs");
  const strategy = spec.schedulingStrategy || 'DEFAULT';
  if (strategy !== 'DEFAULT' && strategy !== 'SPREAD') throw bad('schedulingStrategy', `must be 'DEFAULT' or 'SPREAD', got '${strategy}'`);
  if (!Number.isInteger(spec.maxConcurrency) || spec.maxConcurrency < 0) throw bad('maxConcurrency', `must be an integer >= 1, got ${spec.maxConcurrency}`);
  if (spec.lifetime && spec.lifetime !== 'detached') throw bad('lifetime', `must be 'detached' or empty, got '${spec.lifetime}'`);
  if (spec.name && !/^[\w.\-:/@]{1,200}$/.test(spec.name)) throw bad('name', 'must be 1-200 characters of letters, digits and _ . - : / @');
  if (spec.nodeAffinity && !spec.nodeAffinity.nodeId) throw bad('nodeAffinity.nodeId', 'is required');
  const bundleIndex = spec.bundleIndex ?? -1;
  if (!Number.isInteger(bundleIndex) || bundleIndex < -1) throw bad('bundleIndex', `must be an integer >= -1 (-1: any bundle), got ${bundleIndex}`);
  if (spec.placementGroupId && (spec.nodeAffinity || (spec.schedulingStrategy && spec.schedulingStrategy !== 'DEFAULT'))) {
    throw bad('placementGroup', 'cannot be combined with nodeAffinity or a scheduling strategy: the group decides where its bundles are');
  }
  return {
    ...spec,
    namespace: spec.namespace || 'default',
    maxConcurrency: spec.maxConcurrency || 1,
    resources,
    isolation,
    schedulingStrategy: strategy,
    nodeAffinity: spec.nodeAffinity ? { nodeId: spec.nodeAffinity.nodeId, soft: spec.nodeAffinity.soft } : undefined,
    placementGroupId: spec.placementGroupId ?? '',
    bundleIndex,
  };
}
