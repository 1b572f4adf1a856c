/**
 * Log lines for refused peers, rate-limited: a peer without the token can be refused thousands of
 * times a second, and one line each grew a log by megabytes in seconds. The first refusal of an
 * address in an interval is logged at once, with its details; the rest are counted and told in one
 * summary line per address per interval ("refused 5123 more calls from 127.0.0.1 in the last 10 s: …").
 */
import { refusalLogIntervalMs, type Logger } from './logger.js';

export interface RefusalLogOptions {
  /** What is refused, plural, for the summary: 'calls', 'connections'. */
  what: string;
  /** The summary interval. Default: the process's (configureLogging `refusalIntervalMs`, else 10 s). */
  intervalMs?: number;
  /** Addresses tallied one by one; refusals from further ones share one tally. Default 1000. */
  maxPeers?: number;
  /**
   * Log the first refusal of each reason from an address at once (up to 4 reasons an interval),
   * not only the first refusal: for servers whose reasons tell different attacks apart.
   */
  eachReason?: boolean;
}

interface Tally {
  since: number;
  count: number;
  reasons: Map<string, number>;
  /** Reasons logged on a line of their own this interval (eachReason). */
  shown: Set<string>;
}

const MAX_REASONS = 4;
const OTHER_PEERS = 'other addresses';
const OTHER_REASONS = 'other reasons';

/** The address of a peer without its port: 'ipv4:1.2.3.4:5' and '1.2.3.4:5' → '1.2.3.4', '[::1]:5' → '::1'. */
export function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]*)\](?::\d+)?$/.exec(bare);
  if (v6) return v6[1]!;
  const v4 = /^([^:]*):\d+$/.exec(bare);
  return v4 ? v4[1]! : bare;
}

/** Rate-limited refusal lines for one server (see the file comment). */
export class RefusalLog {
  private readonly tallies = new Map<string, Tally>();
  private timer: NodeJS.Timeout | undefined;
  private readonly intervalMs: number;
  private readonly maxPeers: number;

  /** `message` is the line of a refusal logged on its own ('refused a call with a wrong token'). */
  constructor(
    private readonly log: Logger,
    private readonly message: string,
    private readonly options: RefusalLogOptions,
  ) {
    this.intervalMs = options.intervalMs ?? refusalLogIntervalMs();
    this.maxPeers = options.maxPeers ?? 1000;
  }

  /** A refusal of `peer` ('host:port' or grpc's 'ipv4:host:port') for `reason`; `fields` go on a line of its own. */
  refused(peer: string, reason: string, fields: Record<string, unknown> = {}): void {
    let address = peerAddress(peer);
    if (!this.tallies.has(address) && this.tallies.size >= this.maxPeers) address = OTHER_PEERS;
    const tally = this.tallies.get(address);
    if (tally && this.options.eachReason && !tally.shown.has(reason) && tally.shown.size < MAX_REASONS) {
      tally.shown.add(reason);
      this.log.warn({ peer, reason, ...fields }, this.message);
      return;
    }
    if (tally) {
      tally.count++;
      const key = tally.reasons.has(reason) || tally.reasons.size < MAX_REASONS ? reason : OTHER_REASONS;
      tally.reasons.set(key, (tally.reasons.get(key) ?? 0) + 1);
      return;
    }
    this.tallies.set(address, { since: Date.now(), count: 0, reasons: new Map(), shown: new Set([reason]) });
    this.log.warn({ peer, reason, ...fields }, this.message);
    this.timer ??= setInterval(() => this.sweep(), this.intervalMs).unref();
  }

  /** Logs every pending summary now and stops the timer (the server is closing). */
  close(): void {
    this.sweep();
    this.tallies.clear();
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One summary per address refused since its last line; quiet addresses are forgotten. */
  private sweep(): void {
    const now = Date.now();
    for (const [address, tally] of this.tallies) {
      if (tally.count === 0) {
        this.tallies.delete(address);
        continue;
      }
      const seconds = Math.max(1, Math.round((now - tally.since) / 1000));
      const reasons = [...tally.reasons].map(([r, n]) => (tally.reasons.size === 1 ? r : `${r} (${n})`)).join('; ');
      this.log.warn(
        { peer: address, refused: tally.count, reasons: Object.fromEntries(tally.reasons) },
        `refused ${tally.count} more ${this.options.what} from ${address} in the last ${seconds} s: ${reasons}`,
      );
      tally.since = now;
      tally.count = 0;
      tally.reasons.clear();
      tally.shown.clear();
    }
    if (this.tallies.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
