import { InvalidArgumentError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { CreatePlacementGroupRequest__Output } from '../generated/troupe/v1/CreatePlacementGroupRequest.js';
import type { GetPlacementGroupRequest__Output } from '../generated/troupe/v1/GetPlacementGroupRequest.js';
import type { PlacementGroupOp__Output } from '../generated/troupe/v1/PlacementGroupOp.js';
import type { PlacementGroupReply } from '../generated/troupe/v1/PlacementGroupReply.js';
import type { PlacementGroupServiceHandlers } from '../generated/troupe/v1/PlacementGroupService.js';
import type { RemovePlacementGroupRequest__Output } from '../generated/troupe/v1/RemovePlacementGroupRequest.js';
import { unary } from '../transport/index.js';
import { muxHandler } from '../transport/index.js';
import type { PlacementGroupManager } from './placement-groups.js';
import { groupInfo } from './wire-info.js';

/** What PlacementGroupService needs from the head. */
export interface PlacementGroupServiceDeps {
  log: Logger;
  groups: PlacementGroupManager;
  maxMessageBytes?: number;
}

/** PlacementGroupService: gangs of bundles created, looked up and removed, one by one or on a stream. */
export function placementGroupService(d: PlacementGroupServiceDeps): PlacementGroupServiceHandlers {
  const create = async (req: CreatePlacementGroupRequest__Output): Promise<PlacementGroupReply> => ({
    group: groupInfo(await d.groups.create(req)),
  });
  const get = async (req: GetPlacementGroupRequest__Output): Promise<PlacementGroupReply> => {
    const g = d.groups.get(req.placementGroupId, req.name, req.namespace);
    await d.groups.waitSettled(g, Math.min(Math.max(0, req.waitReadyMs || 0), 5 * 60_000));
    return { group: groupInfo(g) };
  };
  const remove = async (req: RemovePlacementGroupRequest__Output): Promise<PlacementGroupReply> => {
    if (!req.placementGroupId) {
      throw new InvalidArgumentError('removing a placement group needs placement_group_id', {
        context: { field: 'placement_group_id' },
      });
    }
    await d.groups.remove(req.placementGroupId);
    return { group: groupInfo(d.groups.get(req.placementGroupId, '', '')) };
  };
  return {
    CreatePlacementGroup: unary(d.log, 'PlacementGroupService.CreatePlacementGroup', create),
    GetPlacementGroup: unary(d.log, 'PlacementGroupService.GetPlacementGroup', get),
    RemovePlacementGroup: unary(d.log, 'PlacementGroupService.RemovePlacementGroup', async (req) => {
      await remove(req);
      return {};
    }),
    PlacementGroupOps: muxHandler(
      d.log,
      'PlacementGroupService.PlacementGroupOps',
      async (op: PlacementGroupOp__Output) => {
        if (op.create) return create(op.create);
        if (op.get) return get(op.get);
        if (op.remove) return remove(op.remove);
        throw new InvalidArgumentError('a placement group operation needs create, get or remove', {
          context: { field: 'op' },
        });
      },
      d.maxMessageBytes,
    ),
  };
}
