import { z } from 'zod';
import { LIFETIME_FIELD, NAME_FIELD, NAMESPACE_FIELD } from '../options/index.js';
import { InvalidArgumentError, TimeoutError, UnavailableError } from '../common/index.js';
import { checkOptions, checkValue, field, fieldPath, type Fields } from '../options/index.js';
import type { PlacementGroupOp } from '../generated/troupe/v1/PlacementGroupOp.js';
import type { PlacementGroupReply__Output } from '../generated/troupe/v1/PlacementGroupReply.js';
import { present, toPlacementGroupInfo, type PlacementGroupInfo } from './status.js';

export type PlacementStrategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';

export interface PlacementGroupOptions {
  /** How bundles are spread over nodes (Ray's meanings). Default 'PACK'. */
  strategy?: PlacementStrategy;
  /** A name, unique within the namespace among live groups. */
  name?: string;
  /** Namespace of the name. Default: the cluster handle's. */
  namespace?: string;
  /** `'detached'`: the group outlives the driver that created it. */
  lifetime?: 'detached';
}

const STRATEGIES = ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD'] as const;
const FIELDS: Fields<PlacementGroupOptions> = {
  strategy: field(z.enum(STRATEGIES), `one of ${STRATEGIES.join(', ')}`),
  name: NAME_FIELD,
  namespace: NAMESPACE_FIELD,
  lifetime: LIFETIME_FIELD,
};
const TIMEOUT = field(z.number().min(0), 'a number >= 0');

/** One operation on placement groups, as the head's PlacementGroupOps stream takes it. */
export type GroupOp = PlacementGroupOp;

/** What a group handle needs from its cluster handle. */
export interface GroupHost {
  groupOp(op: GroupOp): Promise<PlacementGroupReply__Output>;
}

/**
 * A gang of resource bundles reserved all at once or not at all. Spawn actors into it with
 * `{ placementGroup: pg, bundleIndex }`; `remove()` kills them and frees the reservation.
 */
export class PlacementGroup {
  constructor(
    private readonly host: GroupHost,
    private info: PlacementGroupInfo,
  ) {}

  get id(): string {
    return this.info.placementGroupId;
  }
  get name(): string {
    return this.info.name;
  }
  get strategy(): PlacementStrategy {
    return this.info.strategy;
  }
  get bundles(): Array<Record<string, number>> {
    return this.info.bundles.map((b) => ({ ...b.resources }));
  }
  /** As last seen by this handle; `state()` asks the head. */
  get current(): PlacementGroupInfo {
    return this.info;
  }

  /**
   * Resolves when every bundle is reserved (CREATED). Rejects with TimeoutError carrying the
   * reason it still waits after `timeoutMs` (default 30 s), or UnavailableError if it was removed.
   */
  async ready(options: { timeoutMs?: number } = {}): Promise<PlacementGroupInfo> {
    const timeoutMs = options.timeoutMs ?? 30_000;
    checkValue('timeoutMs', timeoutMs, TIMEOUT);
    // Created is final until removed: a handle that saw it created needs no round trip.
    if (this.info.state === 'CREATED') return this.info;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const wait = Math.max(0, Math.min(deadline - Date.now(), 60_000));
      const info = await this.fetch(wait);
      if (info.state === 'CREATED') return info;
      if (info.state === 'REMOVED') {
        throw new UnavailableError(`placement group ${this.id} was removed: ${info.reason}`, {
          context: { placementGroupId: this.id },
        });
      }
      if (Date.now() >= deadline) {
        throw new TimeoutError(
          `placement group ${this.id} is not ready after ${timeoutMs} ms: it is ${info.state.toLowerCase()}${info.reason ? `, ${info.reason}` : ''}`,
          {
            context: { placementGroupId: this.id },
          },
        );
      }
    }
  }

  /** The group as the head sees it now. */
  state(): Promise<PlacementGroupInfo> {
    return this.fetch(0);
  }

  /** Kills the actors inside the group and frees its bundles. */
  async remove(): Promise<void> {
    const reply = await this.host.groupOp({ remove: { placementGroupId: this.id } });
    this.info = toPlacementGroupInfo(present(reply.group, 'group'));
  }

  private async fetch(waitReadyMs: number): Promise<PlacementGroupInfo> {
    const reply = await this.host.groupOp({ get: { placementGroupId: this.id, waitReadyMs } });
    this.info = toPlacementGroupInfo(present(reply.group, 'group'));
    return this.info;
  }
}

/** Checks the options here; the head checks bundles and values again for any caller. */
export function validateGroupOptions(options: unknown): PlacementGroupOptions {
  return checkOptions<PlacementGroupOptions>(options, FIELDS, { what: 'placement group' });
}

const BUNDLES = z.array(z.record(z.string(), z.number()));

/** Bundles as the head takes them: each a ResourceMap message. The head checks the amounts. */
export function wireBundles(bundles: unknown): Array<{ amounts: Record<string, number> }> {
  const parsed = BUNDLES.safeParse(bundles);
  if (!parsed.success) {
    const p = parsed.error.issues[0]!.path;
    const f = fieldPath(['bundles', ...p]);
    const rule =
      p.length === 0
        ? 'a non-empty array of resource maps, e.g. [{ CPU: 1 }, { CPU: 1, GPU: 1 }]'
        : p.length === 1
          ? 'an object of resource amounts, e.g. { CPU: 1 }'
          : 'a number';
    const value = p.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown>)[k], bundles);
    throw new InvalidArgumentError(`${f} must be ${rule}${p.length === 2 ? `, got ${JSON.stringify(value)}` : ''}`, {
      context: { field: f },
    });
  }
  return (bundles as Array<Record<string, number>>).map((amounts) => ({ amounts }));
}
