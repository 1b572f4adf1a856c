import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '../common/index.js';
import { logger, type Logger } from '../common/index.js';
import type { GetClusterStatusReply } from '../generated/troupe/v1/GetClusterStatusReply.js';
import { troupeV1 } from '../transport/index.js';
import { assertCanListen, bindServer, closeServer, serverOptions } from '../transport/index.js';
import { ActorManager } from './actor-manager.js';
import { NodeRegistry } from './node-registry.js';
import { HeadState, recordFromRow } from './head-state.js';
import { MemoryStore, type StateStore } from '../state/index.js';
import { DriverRegistry } from './driver-registry.js';
import { Scheduler } from './scheduler.js';
import { PlacementGroupManager } from './placement-groups.js';
import { JobManager } from './job-manager.js';
import { jobService } from './job-service.js';
import { actorService } from './actor-service.js';
import { driverService } from './driver-service.js';
import { nodeService } from './node-service.js';
import { placementGroupService } from './placement-group-service.js';
import { actorInfo, groupInfo } from './wire-info.js';

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
  /**
   * Start actor processes with any Node flags a spec asks for (`troupe start --head
   * --allow-exec-argv`). Default false: only the tsx loader and `trustedExecArgv`, so that no
   * spec opens an inspector port or loads code it does not name.
   */
  allowExecArgv?: boolean;
  /** Flags accepted besides the tsx loader without allowExecArgv: an embedded cluster's driver's own. */
  trustedExecArgv?: readonly string[];
}

/** The head node: its gRPC services on one port, the scheduler, the node registry and the actor table. */
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
    if (!options.token)
      throw new InvalidArgumentError('the head needs a cluster token', { context: { field: 'token' } });
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
      address: () => this.address,
      log: this.log,
      maxPackageBytes: options.maxJobPackageBytes,
    });
    this.heartbeatPeriodMs = options.heartbeatPeriodMs ?? 1000;
    this.heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? this.heartbeatPeriodMs * 10;
    this.server = new grpc.Server(serverOptions({ token: options.token, log: this.log }, options.maxMessageBytes));
    const log = this.log;
    const maxMessageBytes = options.maxMessageBytes;
    // One port, one token check, one service per resource.
    const { NodeService, ActorService, PlacementGroupService, JobService, DriverService } = troupeV1;
    const { nodes, scheduler, state, actors, heartbeatPeriodMs } = this;
    const status = (): GetClusterStatusReply => this.status();
    const groups = this.groups;
    this.server.addService(
      NodeService.service,
      nodeService({ log, nodes, scheduler, state, actors, heartbeatPeriodMs, allowExecArgv: options.allowExecArgv }),
    );
    const execArgv = { allowExecArgv: options.allowExecArgv, trustedExecArgv: options.trustedExecArgv };
    this.server.addService(ActorService.service, actorService({ log, actors, status, maxMessageBytes, execArgv }));
    this.server.addService(PlacementGroupService.service, placementGroupService({ log, groups, maxMessageBytes }));
    this.server.addService(JobService.service, jobService(this.jobs, this.log));
    this.server.addService(DriverService.service, driverService(this.drivers));
  }

  async start(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    // A head that cannot serve must not reload the state and start its actors (another head may
    // be running them): the port is checked first.
    await assertCanListen(host, this.options.port ?? 0);
    // Everything the store remembers is back before the first request is served.
    await this.restore();
    await this.jobs.restore();
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
    this.log.info(
      {
        nodes: nodeRows.length,
        actors: actorRows.length,
        live: live.length,
        groups: groupRows.length,
        store: this.state.store.description,
      },
      'state reloaded',
    );
    // Drivers reattach after a head restart; the actors of those that do not are orphans.
    this.orphanTimer = setTimeout(() => {
      const attached = new Set(this.drivers.attached());
      const owners = new Set(
        this.actors.directory
          .all()
          .filter((a) => a.state !== 'DEAD' && a.spec.lifetime !== 'detached')
          .map((a) => a.ownerId),
      );
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
      void this.state
        .saveNode(node)
        .catch((err) => this.log.warn({ err, nodeId: node.nodeId }, 'could not save a dead node'));
      this.scheduler.removeNode(node.nodeId);
      this.groups.nodeLost(node.nodeId);
      this.actors.nodeLost(node.nodeId);
    }
  }

  private status(): GetClusterStatusReply {
    // One pass over the actors, not one per node.
    const perNode = new Map<string, number>();
    for (const a of this.actors.directory.all())
      if (a.state !== 'DEAD' && a.nodeId) perNode.set(a.nodeId, (perNode.get(a.nodeId) ?? 0) + 1);
    const nodes = this.nodes.all().map((n) => ({
      nodeId: n.nodeId,
      address: n.address,
      hostname: n.hostname,
      state: n.state,
      total: { amounts: n.total },
      available: {
        amounts: n.state === 'ALIVE' && this.scheduler.hasNode(n.nodeId) ? this.scheduler.available(n.nodeId) : {},
      },
      labels: n.labels,
      lastHeartbeatMs: n.lastHeartbeatMs,
      numActors: perNode.get(n.nodeId) ?? 0,
      deathReason: n.deathReason,
      incarnation: n.incarnation,
      awaitingWorker: n.state === 'ALIVE' && !n.resumed,
    }));
    return {
      nodes,
      actors: this.actors.directory.all().map(actorInfo),
      pendingActors: this.actors.pendingCount,
      headAddress: this.address,
      startedAtMs: this.startedAtMs,
      stateStore: this.state.store.description,
      placementGroups: this.groups.list().map(groupInfo),
    };
  }
}
