import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, type DeathCause } from '../common/errors.js';
import { logger, type Logger } from '../common/logger.js';
import { services } from '../transport/protos.js';
import { bindServer, closeServer, serverOptions, unary } from '../transport/grpc.js';
import { muxHandler } from '../transport/mux-stream.js';
import { ActorManager } from './actor-manager.js';
import type { ActorRecord } from './actor-directory.js';
import { NodeRegistry } from './node-registry.js';
import { HeadState, recordFromRow } from './head-state.js';
import { MemoryStore, type StateStore } from '../state/index.js';
import { DriverRegistry } from './driver-registry.js';
import { validateResourceRequest } from './resources.js';
import { Scheduler } from './scheduler.js';
import { PlacementGroupManager, type CreateGroupRequest, type PlacementGroupRecord } from './placement-groups.js';
import { validateSpec, type WireActorSpec } from './spec.js';
import { JobManager } from './job-manager.js';
import { jobService } from './job-service.js';

export interface HeadOptions {
  /** Cluster token every RPC must carry. */
  token: string;
  /** Listen address. Default 127.0.0.1. */
  host?: string;
  /** Port; 0 (default) lets the OS choose. */
  port?: number;
  /** How often workers heartbeat. Default 1000 ms. */
  heartbeatPeriodMs?: number;
  /** A node silent this long is declared dead. Default 10 × the period. */
  heartbeatTimeoutMs?: number;
  maxMessageBytes?: number;
  /** DEFAULT strategy packs nodes up to this utilisation, then spreads. Default 0.5. */
  spreadThreshold?: number;
  /** How long a driver's actors outlive its disconnection (it may reconnect). Default 1000 ms. */
  ownerGraceMs?: number;
  /** Where the cluster's state lives. Default: a new MemoryStore (nothing survives the head). */
  store?: StateStore;
  /** After a restart, how long drivers have to attach again before their actors are killed. Default 10 s. */
  ownerReattachMs?: number;
  /** Largest job working-directory package accepted. Default 100 MiB. */
  maxJobPackageBytes?: number;
}

/** The head node: HeadService over gRPC, the scheduler, the node registry and the actor table. */
export class HeadServer {
  address = '';
  readonly startedAtMs = Date.now();
  private readonly log: Logger;
  private readonly server: grpc.Server;
  private readonly nodes: NodeRegistry;
  private readonly scheduler: Scheduler;
  private readonly actors: ActorManager;
  private readonly groups: PlacementGroupManager;
  private readonly drivers: DriverRegistry;
  private readonly state: HeadState;
  private readonly jobs: JobManager;
  private orphanTimer: NodeJS.Timeout | undefined;
  private readonly heartbeatPeriodMs: number;
  private readonly heartbeatTimeoutMs: number;
  private monitor: NodeJS.Timeout | undefined;

  constructor(private readonly options: HeadOptions) {
    if (!options.token) throw new InvalidArgumentError('the head needs a cluster token', { context: { field: 'token' } });
    this.log = logger('head');
    this.nodes = new NodeRegistry(options.token, options.maxMessageBytes);
    this.scheduler = new Scheduler({ spreadThreshold: options.spreadThreshold });
    this.state = new HeadState(options.store ?? new MemoryStore(), this.log);
    this.groups = new PlacementGroupManager(
      this.scheduler,
      {
        save: (row) => this.state.savePlacementGroup(row),
        killActorsIn: (groupId) => this.actors.killInGroup(groupId),
        capacityChanged: () => this.actors.drain(),
      },
      this.log,
    );
    this.actors = new ActorManager(this.groups, this.nodes, this.log);
    this.actors.onDrain = () => this.groups.drain();
    this.actors.persistence = this.state;
    this.drivers = new DriverRegistry(this.log, options.ownerGraceMs ?? 1000, (ownerId) => {
      this.actors.ownerGone(ownerId);
      this.groups.ownerGone(ownerId);
    });
    this.jobs = new JobManager({
      store: this.state.store,
      actors: this.actors,
      token: options.token,
      address: () => this.address,
      log: this.log,
      maxPackageBytes: options.maxJobPackageBytes,
    });
    this.heartbeatPeriodMs = options.heartbeatPeriodMs ?? 1000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? this.heartbeatPeriodMs * 10;
    this.server = new grpc.Server(serverOptions({ token: options.token, log: this.log }, options.maxMessageBytes));
    const u = <Req, Rep>(name: string, fn: (req: Req, call: grpc.ServerUnaryCall<Req, Rep>) => Promise<Rep> | Rep) =>
      unary<Req, Rep>(this.log, `HeadService.${name}`, fn);
    this.server.addService(services.HeadService.service, {
      RegisterNode: u('RegisterNode', (req: RegisterNodeRequest) => this.registerNode(req)),
      Heartbeat: u('Heartbeat', (req: { nodeId: string; incarnation: number }) => ({ known: this.nodes.beat(req.nodeId, req.incarnation) })),
      ReportActorExit: u('ReportActorExit', (req: { nodeId: string; actorId: string; deathCause: string }) => {
        this.actors.exited(req.actorId, req.nodeId, parseCause(req.deathCause));
        return {};
      }),
      CreateActor: u('CreateActor', async (req: { spec: WireActorSpec; ownerId: string }, call) => {
        const spec = validateSpec(req.spec);
        const rec = await this.actors.create(spec, req.ownerId, (cb) => call.on('cancelled', cb));
        return { actor: this.actorInfo(rec) };
      }),
      CreateActors: muxHandler(this.log, 'HeadService.CreateActors', async (req: { spec: WireActorSpec; ownerId: string }, onCancel) => {
        const spec = validateSpec(req.spec);
        const rec = await this.actors.create(spec, req.ownerId, onCancel);
        return { actor: this.actorInfo(rec) };
      }, options.maxMessageBytes),
      GetActor: u('GetActor', async (req: { actorId: string; name: string; namespace: string; waitForDeathMs: number; waitForRestartMs: number; knownNumRestarts: number }) => {
        const rec = this.actors.lookup(req.actorId, req.name, req.namespace);
        if (req.waitForRestartMs > 0) {
          await this.actors.directory.waitForRestart(rec, req.knownNumRestarts, Math.min(req.waitForRestartMs, 5 * 60_000));
        } else if (req.waitForDeathMs > 0) {
          await this.actors.directory.waitForDeath(rec, Math.min(req.waitForDeathMs, 60_000));
        }
        return { actor: this.actorInfo(rec) };
      }),
      KillActor: u('KillActor', async (req: { actorId: string }) => {
        if (!req.actorId) throw new InvalidArgumentError('KillActor needs actor_id', { context: { field: 'actor_id' } });
        await this.actors.kill(req.actorId);
        return {};
      }),
      GetClusterStatus: u('GetClusterStatus', () => this.status()),
      CreatePlacementGroup: u('CreatePlacementGroup', (req: CreateGroupRequest) => this.createGroup(req)),
      GetPlacementGroup: u('GetPlacementGroup', (req: GetGroupRequest) => this.getGroup(req)),
      RemovePlacementGroup: u('RemovePlacementGroup', async (req: { placementGroupId: string }) => {
        await this.removeGroup(req);
        return {};
      }),
      PlacementGroupOps: muxHandler(this.log, 'HeadService.PlacementGroupOps', async (op: { create?: CreateGroupRequest; get?: GetGroupRequest; remove?: { placementGroupId: string } }) => {
        if (op.create) return this.createGroup(op.create);
        if (op.get) return this.getGroup(op.get);
        if (op.remove) return this.removeGroup(op.remove);
        throw new InvalidArgumentError('a placement group operation needs create, get or remove', { context: { field: 'op' } });
      }, options.maxMessageBytes),
      AttachDriver: (call: grpc.ServerDuplexStream<{ ownerId: string }, object>) => this.drivers.attach(call),
      ...jobService(this.jobs, this.log),
    });
  }

  async start(): Promise<string> {
    // Everything the store remembers is back before the first request is served.
    await this.restore();
    await this.jobs.restore();
    const host = this.options.host ?? '127.0.0.1';
    const port = await bindServer(this.server, host, this.options.port ?? 0);
    this.address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.monitor = setInterval(() => this.checkHeartbeats(), Math.max(50, Math.floor(this.heartbeatPeriodMs / 2)));
    this.monitor.unref();
    this.log.info({ address: this.address }, 'head listening');
    return this.address;
  }

  async stop(): Promise<void> {
    clearInterval(this.monitor);
    clearTimeout(this.orphanTimer);
    this.drivers.close();
    await closeServer(this.server, 500);
    this.nodes.closeAll();
  }

  private async registerNode(req: RegisterNodeRequest): Promise<object> {
    if (!req.address) throw new InvalidArgumentError('RegisterNode needs address', { context: { field: 'address' } });
    const total = validateResourceRequest(req.resources?.amounts ?? {}, 'resources');
    if (!Number.isInteger(req.numGpuDevices) || req.numGpuDevices < 0) {
      throw new InvalidArgumentError(`num_gpu_devices must be an integer >= 0, got ${req.numGpuDevices}`, { context: { field: 'num_gpu_devices' } });
    }
    if (req.nodeId) return this.resumeNode(req);
    const incarnation = await this.state.nextIncarnation();
    const node = this.nodes.add(incarnation, req.address, req.hostname, total, req.numGpuDevices, req.labels ?? {});
    this.scheduler.addNode(node.nodeId, total, req.numGpuDevices);
    await this.state.saveNode(node);
    this.log.info({ nodeId: node.nodeId, address: req.address, resources: total }, 'node registered');
    this.actors.drain();
    return { nodeId: node.nodeId, incarnation: node.incarnation, heartbeatPeriodMs: this.heartbeatPeriodMs };
  }

  /**
   * A worker that lost touch asks to be taken back. A node declared dead (or unknown, or of another
   * incarnation) is fenced: its actors were already given up on, and must not run twice.
   */
  private async resumeNode(req: RegisterNodeRequest): Promise<object> {
    const node = this.nodes.get(req.nodeId);
    let fencedReason = '';
    if (!node) fencedReason = `the head does not know node ${req.nodeId} (it restarted without its state)`;
    else if (node.state === 'DEAD') fencedReason = `node ${req.nodeId} was declared dead: ${node.deathReason}`;
    else if (Number(req.incarnation) !== node.incarnation) fencedReason = `node ${req.nodeId} incarnation ${req.incarnation} is not the current one (${node.incarnation})`;
    if (fencedReason || !node) {
      this.log.warn({ nodeId: req.nodeId, reason: fencedReason }, 'fencing a returning node');
      return { fenced: true, fencedReason, heartbeatPeriodMs: this.heartbeatPeriodMs };
    }
    node.lastHeartbeatMs = Date.now();
    node.resumed = true;
    node.address = req.address;
    await this.state.saveNode(node);
    const reported = new Set(req.actorIds ?? []);
    // Creations the previous head started but never heard back about: the node says how they went.
    for (const r of req.running ?? []) {
      const rec = this.actors.directory.get(r.actorId);
      if (rec?.restored && rec.nodeId === node.nodeId && (rec.state === 'CREATING' || rec.state === 'RESTARTING') && rec.allocation) {
        this.actors.confirm(rec, r.address, r.pid);
      }
    }
    const stale: string[] = [];
    for (const id of reported) {
      const rec = this.actors.directory.get(id);
      const here = rec && rec.nodeId === node.nodeId && (rec.state === 'ALIVE' || rec.state === 'CREATING' || rec.state === 'RESTARTING');
      if (!here) stale.push(id);
    }
    for (const rec of this.actors.directory.onNode(node.nodeId)) {
      // Only what the previous head knew: actors this head placed since are not in the report yet.
      if (rec.restored && (rec.state === 'ALIVE' || (rec.allocation && rec.state !== 'PENDING')) && !reported.has(rec.actorId)) {
        this.actors.exited(rec.actorId, node.nodeId, { type: 'lost', detail: `node ${node.nodeId} no longer runs it (it exited while the node was out of touch with the head)` });
      }
    }
    // The node vouched for what it runs: from now on those records are this head's own.
    for (const rec of this.actors.directory.onNode(node.nodeId)) if (reported.has(rec.actorId)) rec.restored = false;
    this.log.info({ nodeId: node.nodeId, actors: reported.size, stale: stale.length }, 'node resumed');
    return { nodeId: node.nodeId, incarnation: node.incarnation, heartbeatPeriodMs: this.heartbeatPeriodMs, staleActorIds: stale };
  }

  /** Reloads nodes and actors from the store (a no-op on a new, empty store). */
  private async restore(): Promise<void> {
    const nodeRows = await this.state.store.list('nodes');
    const actorRows = await this.state.store.list('actors');
    const groupRows = await this.state.store.list('placementGroups');
    if (nodeRows.length === 0 && actorRows.length === 0 && groupRows.length === 0) return;
    for (const row of nodeRows) {
      const node = this.nodes.restore(row);
      if (node.state === 'ALIVE') this.scheduler.addNode(node.nodeId, node.total, node.numGpuDevices);
    }
    // Groups before actors: actors in a group take their resources from its bundles.
    for (const row of groupRows) this.groups.restore(row, (nodeId) => this.nodes.get(nodeId)?.state === 'ALIVE');
    const live = actorRows.filter((r) => r.state !== 'DEAD');
    for (const row of actorRows) this.actors.restore(recordFromRow(row));
    this.actors.drain();
    this.log.info({ nodes: nodeRows.length, actors: actorRows.length, live: live.length, groups: groupRows.length, store: this.state.store.description }, 'state reloaded');
    // Drivers reattach after a head restart; the actors of those that do not are orphans.
    this.orphanTimer = setTimeout(() => {
      const attached = new Set(this.drivers.attached());
      const owners = new Set(this.actors.directory.all().filter((a) => a.state !== 'DEAD' && a.spec.lifetime !== 'detached').map((a) => a.ownerId));
      for (const g of this.groups.list()) if (g.state !== 'REMOVED' && g.lifetime !== 'detached') owners.add(g.ownerId);
      for (const owner of owners) {
        if (attached.has(owner)) continue;
        this.actors.ownerGone(owner);
        this.groups.ownerGone(owner);
      }
    }, this.options.ownerReattachMs ?? 10_000);
    this.orphanTimer.unref();
  }

  private checkHeartbeats(): void {
    for (const node of this.nodes.overdue(this.heartbeatTimeoutMs)) {
      const reason = `no heartbeat for ${Date.now() - node.lastHeartbeatMs} ms (timeout ${this.heartbeatTimeoutMs} ms)`;
      this.log.warn({ nodeId: node.nodeId, reason }, 'node declared dead');
      this.nodes.markDead(node, reason);
      void this.state.saveNode(node).catch((err) => this.log.warn({ err, nodeId: node.nodeId }, 'could not save a dead node'));
      this.scheduler.removeNode(node.nodeId);
      this.groups.nodeLost(node.nodeId);
      this.actors.nodeLost(node.nodeId);
    }
  }

  private status(): object {
    // One pass over the actors, not one per node.
    const perNode = new Map<string, number>();
    for (const a of this.actors.directory.all()) if (a.state !== 'DEAD' && a.nodeId) perNode.set(a.nodeId, (perNode.get(a.nodeId) ?? 0) + 1);
    const nodes = this.nodes.all().map((n) => ({
      nodeId: n.nodeId,
      address: n.address,
      hostname: n.hostname,
      state: n.state,
      total: { amounts: n.total },
      available: { amounts: n.state === 'ALIVE' && this.scheduler.hasNode(n.nodeId) ? this.scheduler.available(n.nodeId) : {} },
      labels: n.labels,
      lastHeartbeatMs: n.lastHeartbeatMs,
      numActors: perNode.get(n.nodeId) ?? 0,
      deathReason: n.deathReason,
      incarnation: n.incarnation,
      awaitingWorker: n.state === 'ALIVE' && !n.resumed,
    }));
    return {
      nodes,
      actors: this.actors.directory.all().map((a) => this.actorInfo(a)),
      pendingActors: this.actors.pendingCount,
      headAddress: this.address,
      startedAtMs: this.startedAtMs,
      stateStore: this.state.store.description,
      placementGroups: this.groups.list().map((g) => this.groupInfo(g)),
    };
  }

  private async createGroup(req: CreateGroupRequest): Promise<object> {
    return { group: this.groupInfo(await this.groups.create(req)) };
  }

  private async getGroup(req: GetGroupRequest): Promise<object> {
    const g = this.groups.get(req.placementGroupId, req.name, req.namespace);
    await this.groups.waitSettled(g, Math.min(Math.max(0, req.waitReadyMs || 0), 5 * 60_000));
    return { group: this.groupInfo(g) };
  }

  private async removeGroup(req: { placementGroupId: string }): Promise<object> {
    if (!req.placementGroupId) throw new InvalidArgumentError('removing a placement group needs placement_group_id', { context: { field: 'placement_group_id' } });
    await this.groups.remove(req.placementGroupId);
    return { group: this.groupInfo(this.groups.get(req.placementGroupId, '', '')) };
  }

  private groupInfo(g: PlacementGroupRecord): object {
    return {
      placementGroupId: g.id,
      name: g.name,
      namespace: g.namespace,
      strategy: g.strategy,
      state: g.state,
      bundles: g.bundles.map((b, i) => ({ resources: { amounts: b }, nodeId: g.allocations[i]?.nodeId ?? '' })),
      reason: g.reason,
      ownerId: g.ownerId,
      lifetime: g.lifetime,
      createdAtMs: g.createdAtMs,
    };
  }

  private actorInfo(a: ActorRecord): object {
    return {
      actorId: a.actorId,
      className: a.spec.exportName,
      name: a.spec.name,
      namespace: a.spec.namespace,
      state: a.state,
      nodeId: a.nodeId,
      address: a.address,
      pid: a.pid,
      resources: { amounts: a.spec.resources },
      gpuIds: a.allocation?.gpuIds ?? [],
      deathCause: a.death ? JSON.stringify(a.death) : '',
      deathError: a.deathError ?? null,
      isolation: a.spec.isolation,
      createdAtMs: a.createdAtMs,
      maxRestarts: a.spec.maxRestarts,
      maxTaskRetries: a.spec.maxTaskRetries,
      numRestarts: a.numRestarts,
      ownerId: a.ownerId,
      lifetime: a.spec.lifetime,
      placementGroupId: a.spec.placementGroupId,
      bundleIndex: a.allocation?.bundle?.index ?? a.spec.bundleIndex,
    };
  }
}

interface GetGroupRequest {
  placementGroupId: string;
  name: string;
  namespace: string;
  waitReadyMs: number;
}

interface RegisterNodeRequest {
  nodeId: string;
  incarnation: number;
  actorIds: string[];
  running: Array<{ actorId: string; address: string; pid: number }>;
  address: string;
  hostname: string;
  resources: { amounts: Record<string, number> } | null;
  labels: Record<string, string>;
  numGpuDevices: number;
}

function parseCause(raw: string): DeathCause {
  try {
    const cause = JSON.parse(raw) as DeathCause;
    if (cause && typeof cause === 'object' && typeof cause.type === 'string') return cause;
  } catch {
    // fall through
  }
  throw new InvalidArgumentError(`death_cause must be a JSON DeathCause, got ${JSON.stringify(raw).slice(0, 100)}`, { context: { field: 'death_cause' } });
}
