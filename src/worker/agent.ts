import * as grpc from '@grpc/grpc-js';
import os from 'node:os';
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ACTOR_DEFAULTS, checkExecArgv } from '../options/index.js';
import { ActorNotFoundError, InvalidArgumentError, TroupeError, type DeathCause } from '../common/index.js';
import { logger, type Logger } from '../common/index.js';
import type { NodeServiceClient } from '../generated/troupe/v1/NodeService.js';
import type { StartActorReply } from '../generated/troupe/v1/StartActorReply.js';
import type { StartActorRequest__Output } from '../generated/troupe/v1/StartActorRequest.js';
import type { WorkerServiceHandlers } from '../generated/troupe/v1/WorkerService.js';
import { troupeV1 } from '../transport/index.js';
import {
  bindServer,
  callUnary,
  closeServer,
  makeClient,
  serverOptions,
  unary,
  DEFAULT_MAX_MESSAGE_BYTES,
} from '../transport/index.js';
import { muxHandler } from '../transport/index.js';
import { SUPERVISOR_MODULE } from '../jobs/index.js';
import { detectResources, type ResourceOverrides } from './detect.js';
import { ActorCount } from './actor-count.js';
import { HostPool } from './host-pool.js';
import { deathFromExit, hostExecArgv, type HostProcess, type HostExit } from './host-process.js';

export interface WorkerOptions extends ResourceOverrides {
  /** host:port of the head. */
  headAddress: string;
  token: string;
  /** Address to listen on and advertise to the head and callers. Default 127.0.0.1. */
  host?: string;
  /** Port of the WorkerService; 0 (default) lets the OS choose. */
  port?: number;
  /** Folder for the actor host processes' logs. */
  logDir: string;
  /** Idle actor host processes kept ready. Default 2. */
  warmPoolSize?: number;
  /** Actors per shared host process before another is started. Default 256, so a large fleet still spreads over the cores. */
  maxSharedActors?: number;
  maxMessageBytes?: number;
  labels?: Record<string, string>;
  /**
   * Loader flags the drivers are expected to pass (an embedded cluster: its own process's), so
   * the warm processes start with them. Default none; the pool follows what drivers ask for.
   */
  driverExecArgv?: string[];
  /**
   * Host processes stop when this agent is silent for 4 heartbeat periods. Default true; an
   * embedded cluster turns it off, since its agent shares the driver's event loop.
   */
  fenceOnSilence?: boolean;
}

/**
 * The worker agent of one machine: registers the machine's resources with the head, heartbeats,
 * starts actors in host processes (warm pool, shared hosts), and reports their exits.
 */
export class WorkerAgent {
  nodeId = '';
  incarnation = 0;
  /** What the head said at registration: actor processes may start with any Node flags. */
  private allowExecArgv = false;
  address = '';
  private readonly log: Logger;
  private readonly server: grpc.Server;
  private readonly head: NodeServiceClient;
  private readonly pool: HostPool;
  private readonly actors = new Map<string, HostProcess>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private registration: { resources: Record<string, number>; numGpuDevices: number } | undefined;
  /** Actors in the cluster, from the head's heartbeat replies; asked afresh for a host's collective open. */
  private readonly actorCount = new ActorCount(() => this.askActorCount());
  /** The count last pushed to the host processes. */
  private pushedCount = 0;

  constructor(private readonly options: WorkerOptions) {
    this.log = logger('worker');
    this.head = makeClient(troupeV1.NodeService, options.headAddress, options.token, options.maxMessageBytes);
    this.server = new grpc.Server(serverOptions({ token: options.token, log: this.log }, options.maxMessageBytes));
    const handlers: WorkerServiceHandlers = {
      StartActor: unary(this.log, 'WorkerService.StartActor', (req) => this.startActor(req)),
      StartActors: muxHandler(
        this.log,
        'WorkerService.StartActors',
        (req: StartActorRequest__Output) => this.startActor(req),
        options.maxMessageBytes,
      ),
      KillActor: unary(this.log, 'WorkerService.KillActor', (req) =>
        this.killActor(req.actorId, deathCauseOf(req.deathCause)),
      ),
    };
    this.server.addService(troupeV1.WorkerService.service, handlers);
    mkdirSync(options.logDir, { recursive: true });
    this.pool = new HostPool({
      token: options.token,
      headAddress: options.headAddress,
      bindHost: options.host ?? '127.0.0.1',
      logDir: options.logDir,
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      execArgv: hostExecArgv([], options.driverExecArgv),
      warmSize: options.warmPoolSize ?? 2,
      maxSharedActors: options.maxSharedActors ?? 256,
      onExit: (host, exit) => this.onHostExit(host, exit),
      countActors: () => this.actorCount.fresh(),
    });
  }

  /** Listens, fills the warm pool, registers with the head (retrying until it answers). */
  async start(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    const port = await bindServer(this.server, host, this.options.port ?? 0);
    this.address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.registration = await detectResources(this.options);
    this.pool.fill();
    await this.register();
  }

  /**
   * Registers with the head, retrying with backoff until it answers. With `resume`, the node asks
   * to be taken back as the node it was, with the actors it still runs; a head that declared it
   * dead (or never heard of it) fences it: every actor here stops and it joins as a new node.
   */
  private async register(resume = false): Promise<void> {
    const reg = this.registration!;
    let delay = 100;
    for (;;) {
      try {
        const reply = await callUnary(
          this.head,
          'RegisterNode',
          {
            address: this.address,
            hostname: os.hostname(),
            resources: { amounts: reg.resources },
            labels: this.options.labels ?? {},
            numGpuDevices: reg.numGpuDevices,
            ...(resume && this.nodeId
              ? {
                  nodeId: this.nodeId,
                  incarnation: this.incarnation,
                  actorIds: [...this.actors.keys()],
                  running: this.running(),
                }
              : {}),
          },
          'head',
          this.options.headAddress,
          5000,
        );
        if (this.stopped) return;
        if (reply.fenced) {
          this.log.warn(
            { nodeId: this.nodeId, reason: reply.fencedReason },
            'fenced by the head: stopping every actor here and joining as a new node',
          );
          for (const id of [...this.actors.keys()]) this.stopActor(id);
          resume = false;
          this.nodeId = '';
          continue;
        }
        for (const id of reply.staleActorIds ?? []) {
          this.log.warn({ actorId: id }, 'the head says this actor must not run here: stopping it');
          this.stopActor(id);
        }
        this.nodeId = reply.nodeId;
        this.incarnation = reply.incarnation;
        this.allowExecArgv = reply.allowExecArgv;
        this.log.info(
          { nodeId: this.nodeId, incarnation: this.incarnation, resumed: resume, resources: reg.resources },
          'registered with the head',
        );
        this.scheduleHeartbeat(reply.heartbeatPeriodMs || 1000);
        return;
      } catch (err) {
        if (this.stopped) return;
        // A wrong token or a bad resource never heals by retrying.
        if (err instanceof TroupeError && (err.code === 'UNAUTHENTICATED' || err.code === 'INVALID_ARGUMENT'))
          throw err;
        this.log.warn({ err: (err as Error).message, retryInMs: delay }, 'cannot register with the head yet');
        await sleep(delay);
        delay = Math.min(delay * 2, 5000);
      }
    }
  }

  private scheduleHeartbeat(periodMs: number): void {
    clearTimeout(this.heartbeatTimer);
    let failures = 0;
    const beat = (): void => {
      if (this.stopped) return;
      const request = { nodeId: this.nodeId, incarnation: this.incarnation };
      callUnary(this.head, 'Heartbeat', request, 'head', this.options.headAddress, periodMs * 2)
        .then((reply) => {
          failures = 0;
          this.heardActorCount(reply.liveActors);
          if (!reply.known && !this.stopped) {
            // The head restarted, or declared us dead while we were out of touch: ask to be taken back.
            this.log.warn({ nodeId: this.nodeId }, 'the head does not know this node as alive; registering again');
            this.register(true).catch((err) => this.log.error({ err }, 're-registration failed'));
            return;
          }
          next(periodMs);
        })
        .catch((err) => {
          // Actors keep serving; probe quickly so a restarted head gets this node back at once.
          failures++;
          this.log.debug({ err: (err as Error).message, failures }, 'heartbeat failed; retrying');
          next(Math.min(periodMs, 50 * 2 ** Math.min(failures, 6)));
        });
    };
    const next = (ms: number): void => {
      if (this.stopped) return;
      this.heartbeatTimer = setTimeout(beat, ms);
      this.heartbeatTimer.unref();
    };
    next(periodMs);
    // Our host processes stop on their own if this agent freezes (SIGSTOP, a stuck machine) well
    // before the head's deadline, so an actor restarted elsewhere never runs twice.
    clearInterval(this.tickTimer);
    if (this.options.fenceOnSilence === false) return;
    const silenceMs = Math.max(1000, periodMs * 4);
    this.tickTimer = setInterval(() => this.pool.tick(silenceMs), Math.max(50, Math.floor(periodMs / 2)));
    this.tickTimer.unref();
  }

  /** One heartbeat out of turn, for its actor count; 0 (no cap) when the head does not answer. */
  private async askActorCount(): Promise<number> {
    const request = { nodeId: this.nodeId, incarnation: this.incarnation };
    try {
      const reply = await callUnary(this.head, 'Heartbeat', request, 'head', this.options.headAddress, 5000);
      return reply.liveActors;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot ask the head how many actors exist; not capping groups');
      return 0;
    }
  }

  /** The hosts hear of a new count at once, so most opens need no fresh ask. */
  private heardActorCount(count: number): void {
    this.actorCount.set(count);
    if (count === this.pushedCount) return;
    this.pushedCount = count;
    this.pool.actorCount(count);
  }

  private async startActor(req: StartActorRequest__Output): Promise<StartActorReply> {
    const spec = req.spec;
    if (!spec?.module || !spec.exportName) {
      throw new InvalidArgumentError('StartActor needs spec.module and spec.exportName', {
        context: { field: 'spec.module' },
      });
    }
    // The head's policy, again here: a StartActor may come straight to this node, past the head.
    checkExecArgv(spec.execArgv, { allowExecArgv: this.allowExecArgv, trustedExecArgv: this.options.driverExecArgv });
    const shared = spec.isolation === 'shared';
    const execArgv = hostExecArgv([spec.module], spec.execArgv);
    const host = shared ? this.pool.sharedHost(execArgv) : this.pool.dedicated(execArgv);
    const env: Record<string, string> = { ...spec.env };
    if (!shared && req.gpuIds.length > 0) env.CUDA_VISIBLE_DEVICES = req.gpuIds.join(',');
    host.actors.add(req.actorId);
    this.actors.set(req.actorId, host);
    try {
      // Sent before a starting process is ready: it loads the module meanwhile, so a wrong module
      // or class fails after one module load (see actor-host-main.ts).
      await host.create({
        actorId: req.actorId,
        module: spec.module,
        exportName: spec.exportName,
        args: spec.args,
        maxConcurrency: spec.maxConcurrency || ACTOR_DEFAULTS.maxConcurrency,
        shared,
        scope: {
          nodeId: this.nodeId,
          namespace: spec.namespace || ACTOR_DEFAULTS.namespace,
          jobId: spec.jobId,
          numRestarts: req.numRestarts,
          resources: { ...(spec.resources?.amounts ?? {}) },
          gpuIds: [...req.gpuIds],
        },
        env,
        // The supervisor calls the head for its job; the token is this agent's, never part of the spec.
        ...(spec.module === SUPERVISOR_MODULE ? { clusterToken: this.options.token } : {}),
      });
      await host.ready;
    } catch (err) {
      host.actors.delete(req.actorId);
      this.actors.delete(req.actorId);
      // A process that failed to load user code is not reused.
      if (!shared) {
        host.killedByUser.add(req.actorId);
        host.kill();
      }
      // A process that died while starting says why best through `ready`, which names its log.
      if (host.port === 0 && host.exit !== undefined)
        throw await host.ready.then(
          () => err,
          (e: unknown) => e,
        );
      throw err;
    }
    return { address: this.hostAddress(host), pid: host.pid };
  }

  private killActor(actorId: string, cause: DeathCause): object {
    if (!this.stopActor(actorId, cause))
      throw new ActorNotFoundError(`no actor ${actorId} on node ${this.nodeId}`, {
        context: { actorId, nodeId: this.nodeId },
      });
    return {};
  }

  /** Stops an actor without reporting its exit (the head asked for it, or fenced this node). */
  private stopActor(actorId: string, cause: DeathCause = { type: 'killed', by: 'user' }): boolean {
    const host = this.actors.get(actorId);
    if (!host) return false;
    this.actors.delete(actorId);
    host.actors.delete(actorId);
    host.killedByUser.add(actorId);
    if (host.shared) host.destroy(actorId, cause);
    else host.kill('SIGKILL');
    return true;
  }

  private onHostExit(host: HostProcess, exit: HostExit): void {
    const cause: DeathCause = deathFromExit(exit, host.logFile);
    for (const actorId of host.actors) {
      this.actors.delete(actorId);
      if (host.killedByUser.has(actorId)) continue;
      this.log.warn({ actorId, pid: host.pid, exit }, 'actor process exited');
      callUnary(
        this.head,
        'ReportActorExit',
        { nodeId: this.nodeId, actorId, deathCause: JSON.stringify(cause) },
        'head',
        this.options.headAddress,
        10_000,
      ).catch((err) =>
        this.log.warn({ err: (err as Error).message, actorId }, 'could not report an actor exit to the head'),
      );
    }
  }

  private running(): Array<{ actorId: string; address: string; pid: number }> {
    return [...this.actors].map(([actorId, host]) => ({ actorId, address: this.hostAddress(host), pid: host.pid }));
  }

  private hostAddress(host: HostProcess): string {
    const bindHost = this.options.host ?? '127.0.0.1';
    return `${bindHost.includes(':') ? `[${bindHost}]` : bindHost}:${host.port}`;
  }

  /** The resources this node registered (after detection and overrides). */
  async resources(): Promise<Record<string, number>> {
    return { ...(this.registration?.resources ?? {}) };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.heartbeatTimer);
    clearInterval(this.tickTimer);
    await this.pool.close();
    await closeServer(this.server, 500);
    this.head.close();
  }
}

/** The cause a KillActor carries (JSON from the head); anything else reads as a kill by the user. */
function deathCauseOf(json: string): DeathCause {
  if (json && json.length <= 4096) {
    try {
      const cause = JSON.parse(json) as { type?: unknown };
      if (cause !== null && typeof cause === 'object' && typeof cause.type === 'string') return cause as DeathCause;
    } catch {
      // not JSON: the default below
    }
  }
  return { type: 'killed', by: 'user' };
}
