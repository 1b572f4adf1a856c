/**
 * What arrives from one peer on the link this rank dialed, after the handshake: DATA frames go
 * to the mailbox — straight into the destination of the recvInto waiting for them when there is
 * one, else into a buffer of their own — and ABORT tells that the peer gave up.
 */
import { FrameError, type FrameHandlers, type FrameHeader } from '../transport/index.js';
import type { Mailbox } from './mailbox.js';
import { COLLECTIVE, CollectiveFrame, DTYPE_F64, dtypeName, dtypeWidth } from './wire.js';

export interface LinkHooks {
  /** The peer sent ABORT with `reason`. */
  aborted(reason: string): void;
  /** A recvInto timed out while its message was landing: stop reading into its destination. */
  stalled(): void;
}

export class InboundLink implements FrameHandlers {
  // The DATA frame under way.
  private tag = '';
  private f64 = false;
  /** Its own buffer, when it is not landing in a recvInto's destination (or dropped). */
  private fresh: Uint8Array | undefined;
  private landing = false;

  constructor(
    private readonly from: number,
    private readonly mailbox: Mailbox,
    private readonly hooks: LinkHooks,
  ) {}

  control(h: FrameHeader, payload: Buffer): void {
    if (h.type !== CollectiveFrame.ABORT) throw new FrameError(`unexpected frame type ${COLLECTIVE.typeName(h.type)}`);
    this.hooks.aborted(payload.toString('utf8'));
  }

  begin(h: FrameHeader, prefix: Buffer): Uint8Array | null {
    const width = dtypeWidth(h.flags);
    if (width === 0) throw new FrameError(`unknown dtype ${h.flags}`);
    if (h.length % width !== 0) throw new FrameError(`payload of ${h.length} bytes is not a whole number of elements`);
    this.tag = prefix.toString('utf8');
    this.f64 = h.flags === DTYPE_F64;
    const claimed = this.mailbox.claim(this.from, this.tag, dtypeName(h.flags), h.length / width, this.hooks.stalled);
    if (claimed === undefined) {
      this.landing = false;
      this.fresh = new Uint8Array(new ArrayBuffer(h.length));
      return this.fresh;
    }
    this.fresh = undefined;
    this.landing = claimed !== null;
    return claimed;
  }

  end(): void {
    if (this.landing) {
      this.landing = false;
      this.mailbox.landed(this.from);
      return;
    }
    const bytes = this.fresh;
    if (!bytes) return;
    this.fresh = undefined;
    this.mailbox.deliver(
      this.from,
      this.tag,
      this.f64 ? new Float64Array(bytes.buffer) : new Float32Array(bytes.buffer),
    );
  }
}
