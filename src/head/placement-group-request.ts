/** The head's check of a placement group request from the wire: the client's rules, re-applied. */
import { z } from 'zod';
import { InvalidArgumentError } from '../common/index.js';
import { LIFETIME_FIELD, NAME_FIELD, NAMESPACE_FIELD, checkOwnerId, checkValue, field } from '../options/index.js';
import { BUNDLE_STRATEGIES, type BundleStrategy } from './bundle-planner.js';
import { validateResourceRequest, type ResourceMap } from './resources.js';

export interface CreateGroupRequest {
  bundles: Array<{ amounts?: Record<string, number> } | null>;
  strategy: string;
  name: string;
  namespace: string;
  lifetime: string;
  ownerId: string;
}

const STRATEGY_FIELD = field(z.enum(BUNDLE_STRATEGIES), `one of ${BUNDLE_STRATEGIES.join(', ')}`);
const MAX_BUNDLES = 1024;

/** Checks a group request; errors name the field (`bundles[2].CPU`, `strategy`, ...). */
export function validateGroup(req: CreateGroupRequest): { bundles: ResourceMap[]; strategy: BundleStrategy } {
  if (!Array.isArray(req.bundles) || req.bundles.length === 0) {
    throw new InvalidArgumentError('bundles must be a non-empty list of resource maps, e.g. [{ CPU: 1 }, { CPU: 1 }]', {
      context: { field: 'bundles' },
    });
  }
  if (req.bundles.length > MAX_BUNDLES) {
    throw new InvalidArgumentError(
      `a placement group holds at most ${MAX_BUNDLES} bundles, got ${req.bundles.length}`,
      { context: { field: 'bundles' } },
    );
  }
  const bundles = req.bundles.map((b, i) => {
    const r = validateResourceRequest(b?.amounts ?? b ?? {}, `bundles[${i}]`);
    if (Object.keys(r).length === 0) {
      throw new InvalidArgumentError(`bundles[${i}] is empty: a bundle must reserve some resource (e.g. { CPU: 1 })`, {
        context: { field: `bundles[${i}]` },
      });
    }
    return r;
  });
  // The client's rules for the same options; '' is "not set" on the wire.
  checkValue('strategy', req.strategy, STRATEGY_FIELD);
  if (req.name) checkValue('name', req.name, NAME_FIELD);
  if (req.namespace) checkValue('namespace', req.namespace, NAMESPACE_FIELD);
  if (req.lifetime) checkValue('lifetime', req.lifetime, LIFETIME_FIELD);
  if (req.ownerId) checkOwnerId(req.ownerId);
  return { bundles, strategy: req.strategy as BundleStrategy };
}
