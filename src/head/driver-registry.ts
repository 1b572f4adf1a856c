import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '../common/index.js';
import { isOwnerId } from '../options/index.js';
import type { DriverMessage__Output } from '../generated/troupe/v1/DriverMessage.js';
import type { HeadMessage } from '../generated/troupe/v1/HeadMessage.js';

type DriverStream = grpc.ServerDuplexStream<DriverMessage__Output, HeadMessage>;

/**
 * Drivers attached to the head by a long-lived stream. When a driver's last stream closes (it
 * exited, crashed or lost the network) and it does not come back within the grace period, its
 * non-detached actors are killed, as Ray ties actors to the lifetime of their owner.
 */
export class DriverRegistry {
  private readonly streams = new Map<string, Set<DriverStream>>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly log: Logger,
    private readonly graceMs: number,
    private readonly onGone: (ownerId: string) => void,
  ) {}

  attach(call: DriverStream): void {
    let ownerId = '';
    call.on('data', (msg: DriverMessage__Output) => {
      if (ownerId || !msg.ownerId) return;
      if (!isOwnerId(msg.ownerId)) {
        // An owner id no client makes: nothing is kept for it, and the stream ends.
        this.log.warn({ length: msg.ownerId.length }, 'refused a driver stream with a malformed owner id');
        call.end();
        return;
      }
      ownerId = msg.ownerId;
      clearTimeout(this.timers.get(ownerId));
      this.timers.delete(ownerId);
      let set = this.streams.get(ownerId);
      if (!set) this.streams.set(ownerId, (set = new Set()));
      set.add(call);
      this.log.debug({ ownerId }, 'driver attached');
    });
    const detach = (): void => {
      if (!ownerId) return;
      const set = this.streams.get(ownerId);
      if (!set?.delete(call)) return;
      if (set.size > 0) return;
      this.streams.delete(ownerId);
      const id = ownerId;
      const timer = setTimeout(() => {
        this.timers.delete(id);
        if (!this.streams.has(id)) {
          this.log.info({ ownerId: id }, 'driver went away');
          this.onGone(id);
        }
      }, this.graceMs);
      timer.unref();
      this.timers.set(id, timer);
    };
    call.on('end', () => {
      detach();
      call.end();
    });
    call.on('error', detach);
    call.on('cancelled', detach);
  }

  /** Owners known to be attached now. */
  attached(): string[] {
    return [...this.streams.keys()];
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const set of this.streams.values()) for (const s of set) s.end();
    this.streams.clear();
  }
}
