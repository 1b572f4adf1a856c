import { InvalidArgumentError } from '../common/index.js';
import { NAMESPACE_FIELD, NAME_FIELD, checkOwnerId, checkValue, type ExecArgvPolicy } from '../options/index.js';
import type { Logger } from '../common/index.js';
import type { ActorServiceHandlers } from '../generated/troupe/v1/ActorService.js';
import type { CreateActorReply } from '../generated/troupe/v1/CreateActorReply.js';
import type { CreateActorRequest__Output } from '../generated/troupe/v1/CreateActorRequest.js';
import type { GetClusterStatusReply } from '../generated/troupe/v1/GetClusterStatusReply.js';
import { unary } from '../transport/index.js';
import { muxHandler } from '../transport/index.js';
import type { ActorManager } from './actor-manager.js';
import { validateSpec } from './spec.js';
import { actorInfo } from './wire-info.js';

/** What the head-side ActorService needs from the head. */
export interface ActorServiceDeps {
  log: Logger;
  actors: ActorManager;
  /** The whole cluster's status (nodes, actors, groups), for GetClusterStatus. */
  status(): GetClusterStatusReply;
  maxMessageBytes?: number;
  /** Which Node flags actor processes may be started with. */
  execArgv?: ExecArgvPolicy;
}

/** ActorService: drivers create, look up and kill actors, and read the cluster status. */
export function actorService(d: ActorServiceDeps): ActorServiceHandlers {
  const create = async (
    req: CreateActorRequest__Output,
    onCancel: (cb: () => void) => void,
  ): Promise<CreateActorReply> => {
    const spec = validateSpec(req.spec, d.execArgv);
    if (req.ownerId) checkOwnerId(req.ownerId);
    return { actor: actorInfo(await d.actors.create(spec, req.ownerId, onCancel)) };
  };
  return {
    CreateActor: unary(d.log, 'ActorService.CreateActor', (req, call) => create(req, (cb) => call.on('cancelled', cb))),
    CreateActors: muxHandler(d.log, 'ActorService.CreateActors', create, d.maxMessageBytes),
    GetActor: unary(d.log, 'ActorService.GetActor', async (req) => {
      // Names are bounded as where they are given, so a 40,000-character one is refused, not echoed.
      if (req.name) checkValue('name', req.name, NAME_FIELD);
      if (req.namespace) checkValue('namespace', req.namespace, NAMESPACE_FIELD);
      const rec = d.actors.lookup(req.actorId, req.name, req.namespace);
      if (req.waitForRestartMs > 0) {
        await d.actors.directory.waitForRestart(rec, req.knownNumRestarts, Math.min(req.waitForRestartMs, 5 * 60_000));
      } else if (req.waitForDeathMs > 0) {
        await d.actors.directory.waitForDeath(rec, Math.min(req.waitForDeathMs, 60_000));
      }
      return { actor: actorInfo(rec) };
    }),
    KillActor: unary(d.log, 'ActorService.KillActor', async (req) => {
      if (!req.actorId) throw new InvalidArgumentError('KillActor needs actor_id', { context: { field: 'actor_id' } });
      await d.actors.kill(req.actorId);
      return {};
    }),
    GetClusterStatus: unary(d.log, 'ActorService.GetClusterStatus', () => d.status()),
  };
}
