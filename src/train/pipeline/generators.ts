/**
 * Schedule generators: GPipe (all forwards, then all backwards), 1F1B (PipeDream-flush: a short
 * warm-up of forwards, then one forward and one backward in turn, so stage s holds at most p − s
 * activations) and interleaved 1F1B (Megatron-LM: v model chunks per rank, which divides the
 * bubble by about v).
 *
 * GPipe and 1F1B order their communication so that even blocking (rendezvous) sends and receives
 * cannot deadlock: towards its successor a stage sends an activation before it waits for a
 * gradient, and towards its predecessor it receives the next activation before it sends a gradient
 * back. Interleaved 1F1B, like Megatron-LM's, needs sends that complete without waiting for their
 * receive (Megatron batches isend/irecv; Troupe's data plane sends are asynchronous): its messages
 * arrive in another order than the receiver posts them, which strict rendezvous cannot serve. The
 * simulator checks each under the semantics it needs, and shows the deadlock under the other.
 */
import { InvalidArgumentError } from '../../common/index.js';
import type { Action, ActionKind, Schedule } from './schedule.js';

export type ScheduleName = 'gpipe' | '1f1b' | 'interleaved';
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['gpipe', '1f1b', 'interleaved'];

function check(name: string, value: number, min: number, field: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`${name}: ${field} must be an integer >= ${min}, got ${value}`, {
      context: { field },
    });
  }
}

const act = (kind: ActionKind, mb: number, chunk = 0): Action => ({ kind, mb, chunk });

/** GPipe(p, m): every forward, then every backward, then the step. */
export function gpipe(p: number, m: number): Schedule {
  check('gpipe', p, 1, 'p');
  check('gpipe', m, 1, 'm');
  const ranks = Array.from({ length: p }, (_, s) => {
    const out: Action[] = [];
    const first = s === 0;
    const last = s === p - 1;
    for (let mb = 0; mb < m; mb++) {
      if (!first) out.push(act('RECV_F', mb));
      out.push(act('F', mb));
      if (!last) out.push(act('SEND_F', mb));
    }
    for (let mb = 0; mb < m; mb++) {
      if (!last) out.push(act('RECV_B', mb));
      out.push(act('B', mb));
      if (!first) out.push(act('SEND_B', mb));
    }
    out.push(act('STEP', -1));
    return out;
  });
  return { name: 'gpipe', p, m, v: 1, ranks };
}

/** 1F1B(p, m): warm-up of p − s − 1 forwards on stage s, then forward/backward in turn, then the rest of the backwards. */
export function oneFOneB(p: number, m: number): Schedule {
  check('1f1b', p, 1, 'p');
  check('1f1b', m, 1, 'm');
  const ranks = Array.from({ length: p }, (_, s) => {
    const out: Action[] = [];
    const first = s === 0;
    const last = s === p - 1;
    const warmup = Math.min(p - s - 1, m);
    const steady = m - warmup;
    for (let i = 0; i < warmup; i++) {
      if (!first) out.push(act('RECV_F', i));
      out.push(act('F', i));
      if (!last) out.push(act('SEND_F', i));
    }
    if (steady > 0 && !first) out.push(act('RECV_F', warmup));
    for (let i = 0; i < steady; i++) {
      out.push(act('F', warmup + i));
      if (!last) out.push(act('SEND_F', warmup + i));
      if (!last) out.push(act('RECV_B', i));
      out.push(act('B', i));
      if (i < steady - 1 && !first) out.push(act('RECV_F', warmup + i + 1));
      if (!first) out.push(act('SEND_B', i));
    }
    for (let i = steady; i < m; i++) {
      if (!last) out.push(act('RECV_B', i));
      out.push(act('B', i));
      if (!first) out.push(act('SEND_B', i));
    }
    out.push(act('STEP', -1));
    return out;
  });
  return { name: '1f1b', p, m, v: 1, ranks };
}

/**
 * Interleaved 1F1B(p, m, v) as in Megatron-LM: rank r holds chunks r, r + p, …; forwards go
 * through the chunks in groups of p microbatches, backwards through them in reverse.
 * Constraints: v >= 2 and m a multiple of p (each group of p microbatches visits every chunk).
 */
export function interleaved(p: number, m: number, v: number): Schedule {
  check('interleaved', p, 2, 'p');
  check('interleaved', m, 1, 'm');
  check('interleaved', v, 2, 'v');
  if (m % p !== 0) {
    throw new InvalidArgumentError(
      `interleaved: m must be a multiple of p (microbatches go through the chunks in groups of p); got m = ${m}, p = ${p}`,
      {
        context: { field: 'm' },
      },
    );
  }
  const total = m * v;
  // k-th forward (backward) of a rank: which microbatch of which chunk.
  const fwd = (k: number): { mb: number; chunk: number } => ({
    mb: Math.floor(k / (p * v)) * p + (k % p),
    chunk: Math.floor(k / p) % v,
  });
  const bwd = (k: number): { mb: number; chunk: number } => ({
    mb: Math.floor(k / (p * v)) * p + (k % p),
    chunk: v - 1 - (Math.floor(k / p) % v),
  });
  const ranks = Array.from({ length: p }, (_, r) => {
    const out: Action[] = [];
    const vsOf = (chunk: number): number => chunk * p + r;
    const lastVs = p * v - 1;
    const forward = (k: number): void => {
      const { mb, chunk } = fwd(k);
      if (vsOf(chunk) > 0) out.push(act('RECV_F', mb, chunk));
      out.push(act('F', mb, chunk));
      if (vsOf(chunk) < lastVs) out.push(act('SEND_F', mb, chunk));
    };
    const backward = (k: number): void => {
      const { mb, chunk } = bwd(k);
      if (vsOf(chunk) < lastVs) out.push(act('RECV_B', mb, chunk));
      out.push(act('B', mb, chunk));
      if (vsOf(chunk) > 0) out.push(act('SEND_B', mb, chunk));
    };
    const warmup = Math.min((p - r - 1) * 2 + (v - 1) * p, total);
    for (let k = 0; k < warmup; k++) forward(k);
    for (let k = 0; k < total - warmup; k++) {
      forward(warmup + k);
      backward(k);
    }
    for (let k = total - warmup; k < total; k++) backward(k);
    out.push(act('STEP', -1));
    return out;
  });
  return { name: 'interleaved', p, m, v, ranks };
}

/** The named generator with its parameters checked. */
export function makeSchedule(name: string, p: number, m: number, v = 2): Schedule {
  switch (name) {
    case 'gpipe':
      return gpipe(p, m);
    case '1f1b':
      return oneFOneB(p, m);
    case 'interleaved':
      return interleaved(p, m, v);
    default:
      throw new InvalidArgumentError(`unknown schedule '${name}'; choose one of ${SCHEDULE_NAMES.join(', ')}`, {
        context: { field: 'schedule' },
      });
  }
}
