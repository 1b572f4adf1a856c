import { InvalidArgumentError, type DeathCause } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { NodeServiceHandlers } from '../generated/troupe/v1/NodeService.js';
import type { RegisterNodeReply } from '../generated/troupe/v1/RegisterNodeReply.js';
import type { RegisterNodeRequest__Output } from '../generated/troupe/v1/RegisterNodeRequest.js';
import { unary } from '../transport/index.js';
import type { ActorManager } from './actor-manager.js';
import type { HeadState } from './head-state.js';
import type { NodeRegistry } from './node-registry.js';
import { checkRegistration } from './node-request.js';
import { validateResourceRequest } from './resources.js';
import type { Scheduler } from './scheduler.js';

/** What NodeService needs from the head. */
export interface NodeServiceDeps {
  log: Logger;
  nodes: NodeRegistry;
  scheduler: Scheduler;
  state: HeadState;
  actors: ActorManager;
  heartbeatPeriodMs: number;
  /** Told to every node: whether actor processes may start with any Node flags. */
  allowExecArgv?: boolean;
}

/** NodeService: worker agents register, heartbeat and report their actors' exits. */
export function nodeService(d: NodeServiceDeps): NodeServiceHandlers {
  return {
    RegisterNode: unary(d.log, 'NodeService.RegisterNode', (req) => registerNode(d, req)),
    // The actor count lets a node refuse a collective group that can never form (more members than actors).
    Heartbeat: unary(d.log, 'NodeService.Heartbeat', (req) => ({
      known: d.nodes.beat(req.nodeId, req.incarnation),
      liveActors: d.actors.directory.liveCount(),
    })),
    ReportActorExit: unary(d.log, 'NodeService.ReportActorExit', (req) => {
      d.actors.exited(req.actorId, req.nodeId, parseCause(req.deathCause));
      return {};
    }),
  };
}

async function registerNode(d: NodeServiceDeps, req: RegisterNodeRequest__Output): Promise<RegisterNodeReply> {
  checkRegistration(req);
  const total = validateResourceRequest(req.resources?.amounts ?? {}, 'resources');
  if (req.nodeId) return resumeNode(d, req);
  const incarnation = await d.state.nextIncarnation();
  const node = d.nodes.add(incarnation, req.address, req.hostname, total, req.numGpuDevices, req.labels ?? {});
  d.scheduler.addNode(node.nodeId, total, req.numGpuDevices);
  await d.state.saveNode(node);
  d.log.info({ nodeId: node.nodeId, address: req.address, resources: total }, 'node registered');
  d.actors.drain();
  return {
    nodeId: node.nodeId,
    incarnation: node.incarnation,
    heartbeatPeriodMs: d.heartbeatPeriodMs,
    allowExecArgv: d.allowExecArgv ?? false,
  };
}

/**
 * A worker that lost touch asks to be taken back. A node declared dead (or unknown, or of another
 * incarnation) is fenced: its actors were already given up on, and must not run twice.
 */
async function resumeNode(d: NodeServiceDeps, req: RegisterNodeRequest__Output): Promise<RegisterNodeReply> {
  const { actors } = d;
  const node = d.nodes.get(req.nodeId);
  let fencedReason = '';
  if (!node) fencedReason = `the head does not know node ${req.nodeId} (it restarted without its state)`;
  else if (node.state === 'DEAD') fencedReason = `node ${req.nodeId} was declared dead: ${node.deathReason}`;
  else if (Number(req.incarnation) !== node.incarnation) {
    fencedReason = `node ${req.nodeId} incarnation ${req.incarnation} is not the current one (${node.incarnation})`;
  }
  if (fencedReason || !node) {
    d.log.warn({ nodeId: req.nodeId, reason: fencedReason }, 'fencing a returning node');
    return { fenced: true, fencedReason, heartbeatPeriodMs: d.heartbeatPeriodMs };
  }
  node.lastHeartbeatMs = Date.now();
  node.resumed = true;
  node.address = req.address;
  await d.state.saveNode(node);
  const reported = new Set(req.actorIds ?? []);
  // Creations the previous head started but never heard back about: the node says how they went.
  for (const r of req.running ?? []) {
    const rec = actors.directory.get(r.actorId);
    const creating = rec?.state === 'CREATING' || rec?.state === 'RESTARTING';
    if (rec?.restored && rec.nodeId === node.nodeId && creating && rec.allocation)
      actors.confirm(rec, r.address, r.pid);
  }
  const stale: string[] = [];
  for (const id of reported) {
    const rec = actors.directory.get(id);
    const here =
      rec &&
      rec.nodeId === node.nodeId &&
      (rec.state === 'ALIVE' || rec.state === 'CREATING' || rec.state === 'RESTARTING');
    if (!here) stale.push(id);
  }
  for (const rec of actors.directory.onNode(node.nodeId)) {
    // Only what the previous head knew: actors this head placed since are not in the report yet.
    if (
      rec.restored &&
      (rec.state === 'ALIVE' || (rec.allocation && rec.state !== 'PENDING')) &&
      !reported.has(rec.actorId)
    ) {
      actors.exited(rec.actorId, node.nodeId, {
        type: 'lost',
        detail: `node ${node.nodeId} no longer runs it (it exited while the node was out of touch with the head)`,
      });
    }
  }
  // The node vouched for what it runs: from now on those records are this head's own.
  for (const rec of actors.directory.onNode(node.nodeId)) if (reported.has(rec.actorId)) rec.restored = false;
  d.log.info({ nodeId: node.nodeId, actors: reported.size, stale: stale.length }, 'node resumed');
  return {
    nodeId: node.nodeId,
    incarnation: node.incarnation,
    heartbeatPeriodMs: d.heartbeatPeriodMs,
    staleActorIds: stale,
    allowExecArgv: d.allowExecArgv ?? false,
  };
}

function parseCause(raw: string): DeathCause {
  try {
    const cause = JSON.parse(raw) as DeathCause;
    if (cause && typeof cause === 'object' && typeof cause.type === 'string') return cause;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError(`death_cause must be a JSON DeathCause, got ${JSON.stringify(raw).slice(0, 100)}`, {
    context: { field: 'death_cause' },
  });
}
