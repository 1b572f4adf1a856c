/** An in-process collective group over the shared Mailbox, for tests and single-process use. */
import { InvalidArgumentError, UnavailableError } from '../common/index.js';
import { Mailbox } from './mailbox.js';
import type { PeerTransport } from './transport.js';

/** An in-process group: one transport per rank, plus fault injection for tests. */
export interface MemoryGroup {
  readonly transports: readonly PeerTransport[];
  /** Rank `rank` dies: every pending and future recv from it (and by it) rejects. */
  fail(rank: number, reason: string): void;
}

export function memoryGroup(size: number): MemoryGroup {
  if (!Number.isInteger(size) || size < 1) {
    throw new InvalidArgumentError(`size must be an integer ≥ 1, got ${size}`, { context: { field: 'size' } });
  }
  // One mailbox per receiving rank.
  const boxes = Array.from({ length: size }, () => new Mailbox(size));
  // Why each dead rank is dead; a message that already names the rank.
  const dead = new Map<number, { message: string; cause: unknown }>();

  const checkRank = (r: number, field: string): void => {
    if (!Number.isInteger(r) || r < 0 || r >= size) {
      throw new InvalidArgumentError(`${field} must be a rank in [0, ${size}), got ${r}`, { context: { field } });
    }
  };
  const deadError = (r: number): UnavailableError => {
    const d = dead.get(r)!;
    return new UnavailableError(d.message, { cause: d.cause, context: { peerRank: String(r) } });
  };
  /** Why a recv by `rank` from `from` can never be served, if so. */
  const refusal = (rank: number, from: number): UnavailableError | undefined => {
    checkRank(from, 'from');
    if (dead.has(from)) return deadError(from);
    if (dead.has(rank)) return deadError(rank);
    return undefined;
  };

  const kill = (r: number, message: string, cause: unknown): void => {
    if (dead.has(r)) return;
    dead.set(r, { message, cause });
    const err = deadError(r);
    for (const box of boxes) box.fail(r, err); // recvs from r
    for (let from = 0; from < size; from++) boxes[r]!.fail(from, err); // recvs by r
  };

  const transport = (rank: number): PeerTransport => ({
    rank,
    size,
    async send(to, tag, data) {
      checkRank(to, 'to');
      if (dead.has(rank)) throw deadError(rank);
      if (dead.has(to)) throw deadError(to);
      // Copy: a real wire copies too, and the caller may reuse `data` once send resolves.
      boxes[to]!.deliver(rank, tag, data.slice());
    },
    recv(from, tag, timeoutMs) {
      const no = refusal(rank, from);
      return no ? Promise.reject(no) : boxes[rank]!.recv(from, tag, timeoutMs);
    },
    async recvInto(from, tag, dest, timeoutMs) {
      const no = refusal(rank, from);
      if (no) throw no;
      await boxes[rank]!.recvInto(from, tag, dest, timeoutMs);
    },
    abort(reason) {
      kill(rank, `rank ${rank} gave up: ${reason.message}`, reason);
    },
  });

  const transports = Array.from({ length: size }, (_, r) => transport(r));
  return {
    transports,
    fail(rank, reason) {
      checkRank(rank, 'rank');
      kill(rank, `rank ${rank} failed: ${reason}`, undefined);
    },
  };
}
