import { connectivityState, status as grpcStatus, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import net from 'node:net';
import type { ActorServiceClient } from '../generated/troupe/v1/ActorService.js';
import type { CreateActorReply__Output } from '../generated/troupe/v1/CreateActorReply.js';
import type { CreateActorRequest } from '../generated/troupe/v1/CreateActorRequest.js';
import type { DriverMessage } from '../generated/troupe/v1/DriverMessage.js';
import type { DriverServiceClient } from '../generated/troupe/v1/DriverService.js';
import type { GetActorRequest } from '../generated/troupe/v1/GetActorRequest.js';
import type { HeadMessage__Output } from '../generated/troupe/v1/HeadMessage.js';
import type { PlacementGroupReply__Output } from '../generated/troupe/v1/PlacementGroupReply.js';
import type { PlacementGroupServiceClient } from '../generated/troupe/v1/PlacementGroupService.js';
import type { WireActorSpec } from '../options/index.js';
import { HeadUnavailableError, ShutDownError, TroupeError } from '../common/index.js';
import { callUnary, makeClient, type ReplyOf, type RequestOf, type UnaryName } from '../transport/index.js';
import { MuxClient } from '../transport/index.js';
import { troupeV1 } from '../transport/index.js';
import type { GroupOp } from './placement-group.js';
import { present, toActorInfo, toClusterStatus, type ActorInfo, type ClusterStatus } from './status.js';

export interface HeadLinkOptions {
  address: string;
  token: string;
  maxMessageBytes?: number;
  ownerId: string;
  /** How long calls that need the head wait for it while it is down. Default 30 s. */
  headTimeoutMs?: number;
  /** True once the cluster handle was shut down. */
  isClosed(): boolean;
}

/**
 * @internal The driver's link to the head: its services on one shared channel, calls that wait out
 * a restarting head, and the attachment that ties this driver's non-detached actors to its life.
 */
export class HeadLink {
  readonly address: string;
  private readonly headTimeoutMs: number;
  /** The head's services, on one shared channel: actors (and its readiness), groups, this driver. */
  private readonly head: ActorServiceClient;
  private readonly groups: PlacementGroupServiceClient;
  private readonly driver: DriverServiceClient;
  private attachment: ClientDuplexStream<DriverMessage, HeadMessage__Output> | undefined;
  private attachDelayMs = 50;
  private readonly creations: MuxClient<CreateActorRequest, CreateActorReply__Output>;
  private readonly groupOps: MuxClient<GroupOp, PlacementGroupReply__Output>;

  constructor(private readonly opts: HeadLinkOptions) {
    this.address = opts.address;
    this.headTimeoutMs = opts.headTimeoutMs ?? 30_000;
    const head = makeClient(troupeV1.ActorService, opts.address, opts.token, opts.maxMessageBytes);
    const channel = head.getChannel();
    this.head = head;
    const groups = makeClient(troupeV1.PlacementGroupService, opts.address, opts.token, opts.maxMessageBytes, channel);
    this.groups = groups;
    this.driver = makeClient(troupeV1.DriverService, opts.address, opts.token, opts.maxMessageBytes, channel);
    this.creations = new MuxClient<CreateActorRequest, CreateActorReply__Output>(
      () => head.CreateActors(),
      'CreateActors',
      'head',
      opts.address,
      opts.maxMessageBytes,
    );
    // Placement group operations share one stream to the head (a unary RPC each would cap them near 1k/s).
    this.groupOps = new MuxClient<GroupOp, PlacementGroupReply__Output>(
      () => groups.PlacementGroupOps(),
      'PlacementGroupOps',
      'head',
      opts.address,
      opts.maxMessageBytes,
    );
    this.attach();
  }

  assertOpen(): void {
    if (this.opts.isClosed()) throw new ShutDownError('the cluster handle was shut down; call connect() again');
  }

  async getActor(request: GetActorRequest): Promise<ActorInfo> {
    this.assertOpen();
    const reply = await this.headCall(this.head, 'GetActor', request);
    return toActorInfo(present(reply.actor, 'actor'));
  }

  async killActor(actorId: string): Promise<void> {
    this.assertOpen();
    await this.headCall(this.head, 'KillActor', { actorId });
  }

  async status(): Promise<ClusterStatus> {
    this.assertOpen();
    return toClusterStatus(await this.headCall(this.head, 'GetClusterStatus', {}));
  }

  /** Sends a spawn request on the shared creation stream once the head is up; resolves with the new actor. */
  async createActor(spec: WireActorSpec, what: string): Promise<ActorInfo> {
    await this.headReady();
    const reply = await this.creations.request({ spec, ownerId: this.opts.ownerId }, what);
    return toActorInfo(present(reply.actor, 'actor'));
  }

  async groupOp(op: GroupOp): Promise<PlacementGroupReply__Output> {
    this.assertOpen();
    await this.headReady();
    return this.groupOps.request(op, 'the placement group request');
  }

  /** One GetActor call, without waiting for a down head: fails once `timeoutMs` passes. */
  async getActorOnce(request: GetActorRequest, timeoutMs: number): Promise<ActorInfo> {
    const reply = await callUnary(this.head, 'GetActor', request, 'head', this.address, timeoutMs);
    return toActorInfo(present(reply.actor, 'actor'));
  }

  /** Ends the attachment and the streams, and closes the channel. */
  close(): void {
    this.attachment?.end();
    this.attachment = undefined;
    this.creations.close();
    this.groupOps.close();
    this.driver.close();
    this.groups.close();
    this.head.close();
  }

  /** Keeps the driver attached to the head, so its non-detached actors die with it. */
  private attach(): void {
    if (this.opts.isClosed()) return;
    const stream = this.driver.AttachDriver();
    this.attachment = stream;
    stream.write({ ownerId: this.opts.ownerId });
    stream.on('data', () => undefined);
    stream.on('metadata', () => {
      this.attachDelayMs = 50;
    });
    const again = (): void => {
      if (this.attachment !== stream) return;
      this.attachment = undefined;
      if (this.opts.isClosed()) return;
      // The head restarts or the network blinked: attach again, backing off.
      this.attachDelayMs = Math.min(this.attachDelayMs * 2, 5000);
      const t = setTimeout(() => this.attach(), this.attachDelayMs);
      t.unref();
    };
    stream.on('error', (err: { code?: number }) => {
      // A refused token does not heal by retrying; calls report it to the user.
      if (err.code === grpcStatus.UNAUTHENTICATED) this.attachment = undefined;
      else again();
    });
    stream.on('end', again);
  }

  /**
   * An idempotent call to the head. While the head is down (restarting), it waits for it up to
   * `headTimeoutMs`, then fails with HeadUnavailableError saying what to do.
   */
  private async headCall<C extends Client, M extends UnaryName<C>>(
    client: C,
    method: M,
    request: RequestOf<C, M>,
  ): Promise<ReplyOf<C, M>> {
    const deadline = Date.now() + this.headTimeoutMs;
    for (;;) {
      await this.headReady(deadline);
      try {
        return await callUnary(client, method, request, 'head', this.address, Math.max(1000, deadline - Date.now()));
      } catch (err) {
        if (!(err instanceof TroupeError) || err.code !== 'HEAD_UNAVAILABLE' || Date.now() >= deadline) throw err;
      }
    }
  }

  /** Resolves when the head's channel is connected, waiting at most until `deadline`. */
  private headReady(deadline = Date.now() + this.headTimeoutMs): Promise<void> {
    if (this.head.getChannel().getConnectivityState(true) === connectivityState.READY) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.head.waitForReady(deadline, (err?: Error) => {
        if (!err) return resolve();
        reject(
          new HeadUnavailableError(
            `the head at ${this.address} did not answer within ${Math.round(this.headTimeoutMs / 1000)} s: ` +
              'it is down or restarting. Actors keep serving direct calls meanwhile; ' +
              'restart the head (with the same --state to keep the cluster) and retry',
          ),
        );
      });
    });
  }
}

/** The local address this process uses to reach `address` (host:port), found with one TCP connection. */
export function localAddressTowards(address: string): Promise<string> {
  const m = /^\[?([^\]]*)\]?:(\d+)$/.exec(address);
  if (!m) return Promise.resolve('127.0.0.1');
  return new Promise((resolve) => {
    const socket = net.connect({ host: m[1]!, port: Number(m[2]) });
    const done = (host: string): void => {
      socket.destroy();
      resolve(host);
    };
    socket.once('connect', () => done(socket.localAddress ?? '127.0.0.1'));
    socket.once('error', () => done('127.0.0.1'));
    socket.setTimeout(5000, () => done('127.0.0.1'));
  });
}
