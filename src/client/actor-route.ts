import { ActorDiedError, TroupeError, UnavailableError, describeDeath } from '../common/index.js';
import { StreamBrokenError, type ActorConnection, type CallOutcome, type OutgoingCall } from './actor-connection.js';
import type { ActorInfo } from './status.js';

/** What a route needs from its cluster handle. */
export interface RouteHost {
  connection(address: string): ActorConnection;
  /** Where the actor lives now, from the head (a handle that arrived as a value knows only its id). */
  locate(actorId: string): Promise<ActorInfo>;
  /** Waits (bounded) until the actor is DEAD or ALIVE after more than `knownRestarts` restarts. */
  awaitRestart(actorId: string, knownRestarts: number): Promise<ActorInfo>;
}

/** Calls made while the actor restarts wait for it, up to this many per actor. */
export const MAX_QUEUED_WHILE_RESTARTING = 10_000;

/**
 * The caller's view of one actor: where it lives now, and what to do with calls when its process
 * dies. Ray's semantics: a call in flight when the actor died fails (at-most-once) unless
 * `maxTaskRetries` allows a retry after the restart (at-least-once); calls made while the caller
 * knows the actor is restarting wait for it, or fail when its restarts are exhausted.
 */
export class ActorRoute {
  private resolving: Promise<void> | undefined;
  private locating: Promise<void> | undefined;
  private queued = 0;
  private dead: ActorDiedError | undefined;

  constructor(
    private info: ActorInfo,
    private readonly host: RouteHost,
  ) {}

  get current(): ActorInfo {
    return this.info;
  }

  /** Learns of a kill from this side, so later calls fail at once. */
  markKilled(): void {
    this.dead ??= ActorDiedError.of(this.info.actorId, { type: 'killed', by: 'user' });
  }

  /** Calls from this driver that wait for refs in their arguments, and the calls queued behind them. */
  sendChain: Promise<void> | undefined;
  chained = 0;

  /** Runs the call; resolves with what came back and the address of the host process that answered. */
  async call(method: string, out: OutgoingCall): Promise<{ outcome: CallOutcome; holder: string }> {
    let retries = 0;
    if (!this.info.address && !this.dead) await this.locate();
    for (;;) {
      if (this.resolving) await this.waitForRestart(method);
      if (this.dead) throw named(this.dead, method);
      const sentTo = this.info;
      try {
        const outcome = await this.host.connection(sentTo.address).call(sentTo.actorId, method, out);
        return { outcome, holder: sentTo.address };
      } catch (err) {
        if (!(err instanceof StreamBrokenError)) throw err;
        await this.learn(sentTo, err);
        if (this.dead) throw named(this.dead, method);
        if (this.info.numRestarts === sentTo.numRestarts) {
          // Still the same live actor: the network failed, not the actor.
          throw err.streamError;
        }
        // Sent after the actor's process was gone: it never ran, so it goes to the new one as if queued.
        if (!err.maybeDelivered) continue;
        const max = this.info.maxTaskRetries;
        if (max !== -1 && retries >= max) {
          const why = sentTo.death ?? this.info.death;
          throw new ActorDiedError(
            `call to ${method} failed: actor ${sentTo.actorId} died while running it (${why ? describeDeath(why) : 'its process was lost'}) and was restarted; ` +
              `the call was not retried because maxTaskRetries is ${max} (set maxTaskRetries to retry calls after a restart)`,
            { context: { actorId: sentTo.actorId, method, death: why ? JSON.stringify(why) : undefined } },
          );
        }
        retries++;
      }
    }
  }

  /** Asks the head once where an actor known only by id lives; calls made meanwhile share the answer. */
  private locate(): Promise<void> {
    this.locating ??= (async () => {
      let info = await this.host.locate(this.info.actorId);
      if (info.state !== 'ALIVE' && info.state !== 'DEAD') {
        // Still being created or restarted: wait for it as a caller of a restarting actor does.
        info = await this.host.awaitRestart(info.actorId, info.numRestarts - 1);
      }
      if (info.state === 'DEAD') this.dead = ActorDiedError.of(info.actorId, info.death);
      else if (info.state !== 'ALIVE') {
        throw new UnavailableError(
          `actor ${info.actorId} is ${info.state.toLowerCase()} and not serving yet; retry later`,
          {
            context: { actorId: info.actorId },
          },
        );
      }
      this.info = info;
    })().finally(() => {
      this.locating = undefined;
    });
    return this.locating;
  }

  private async waitForRestart(method: string): Promise<void> {
    if (this.queued >= MAX_QUEUED_WHILE_RESTARTING) {
      throw new UnavailableError(
        `call to ${method} refused: ${this.queued} calls already wait for actor ${this.info.actorId} to restart; slow down or wait for it`,
        { context: { actorId: this.info.actorId, method } },
      );
    }
    this.queued++;
    try {
      await this.resolving;
    } finally {
      this.queued--;
    }
  }

  /** One question to the head per break, shared by every call that was on the broken stream. */
  private learn(sentTo: ActorInfo, err: StreamBrokenError): Promise<void> {
    if (this.info !== sentTo) return this.resolving ?? Promise.resolve(); // someone already learned
    if (!this.resolving) {
      this.resolving = this.host
        .awaitRestart(sentTo.actorId, sentTo.numRestarts)
        .then(
          (info) => {
            if (info.state !== 'ALIVE' && info.state !== 'DEAD') {
              // Still restarting (waiting for resources, say): nowhere to send the call yet.
              throw new UnavailableError(
                `actor ${info.actorId} is ${info.state.toLowerCase()} after its process was lost and is not back yet; retry later`,
                { context: { actorId: info.actorId } },
              );
            }
            this.info = info;
            if (info.state === 'DEAD') this.dead = ActorDiedError.of(info.actorId, info.death);
          },
          (headErr: unknown) => {
            // The head cannot tell (it may be restarting): report what the stream said.
            if (!(headErr instanceof TroupeError)) throw headErr;
            throw err.streamError;
          },
        )
        .finally(() => {
          this.resolving = undefined;
        });
    }
    return this.resolving;
  }
}

function named(err: ActorDiedError, method: string): ActorDiedError {
  if (err.context.method === method) return err;
  const msg = err.message.replace(/^call to \S+ failed: /, '');
  return new ActorDiedError(`call to ${method} failed: ${msg}`, {
    context: { ...err.context, method },
    cause: err.cause,
  });
}
