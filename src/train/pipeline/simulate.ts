/**
 * Checks a schedule and runs it on a cost model. The checks: every microbatch runs F and B exactly
 * once on every virtual stage, F before B, an activation (gradient) is received before the F (B)
 * that needs it and sent only after the F (B) that made it, every receive has its send and every
 * send its receive, the step comes once, after the rank's last backward — and executing it with
 * blocking sends and receives cannot deadlock.
 *
 * The run gives the makespan, each rank's busy time, the bubble fraction (idle share of p × makespan)
 * and the peak number of microbatches in flight (forward done, backward not yet) on each rank.
 */
import { InvalidArgumentError } from '../../common/index.js';
import { formatAction, holderOf, virtualStage, type Action, type Schedule } from './schedule.js';

export interface SimulateOptions {
  /** Forward cost per virtual stage (one number for all). Default 1/v (so a rank's share is 1 per microbatch). */
  forward?: number | number[];
  /** Backward cost per virtual stage. Default: as forward. */
  backward?: number | number[];
  /** Time a send/receive pair takes. Default 0. */
  comm?: number;
  /**
   * 'rendezvous' (default): a send blocks until its receive is posted, the strictest reading of
   * blocking communication. 'buffered': a send completes at once (the data plane's behaviour).
   */
  sendMode?: 'rendezvous' | 'buffered';
}

export interface TimedAction {
  rank: number;
  action: Action;
  start: number;
  end: number;
}

export interface SimulationResult {
  makespan: number;
  busy: number[];
  bubble: number;
  peakInFlight: number[];
  timeline: TimedAction[];
}

/** Thrown when a schedule breaks a rule; `problems` lists every one found (the message, the first few). */
export class ScheduleError extends InvalidArgumentError {
  constructor(readonly problems: string[]) {
    super(
      `invalid schedule: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`,
      { context: { field: 'schedule' } },
    );
  }
}

type Msg = 'F' | 'B';
/** Where a send goes / a receive comes from, as a message key at the receiving virtual stage. */
function messageKey(s: Schedule, rank: number, a: Action): { key: string; peer: number } | undefined {
  const vs = virtualStage(s, rank, a.chunk);
  const kind: Msg = a.kind.endsWith('_F') ? 'F' : 'B';
  let to: number;
  let from: number;
  switch (a.kind) {
    case 'SEND_F':
      [from, to] = [vs, vs + 1];
      break;
    case 'RECV_F':
      [from, to] = [vs - 1, vs];
      break;
    case 'SEND_B':
      [from, to] = [vs, vs - 1];
      break;
    case 'RECV_B':
      [from, to] = [vs + 1, vs];
      break;
    default:
      return undefined;
  }
  const other = a.kind.startsWith('SEND') ? to : from;
  if (other < 0 || other >= s.p * s.v) return undefined;
  return { key: `${kind}:${to}:${a.mb}`, peer: holderOf(s, other).rank };
}

/** Static checks; returns the problems found (empty when the schedule is well formed). */
export function checkSchedule(s: Schedule): string[] {
  const problems: string[] = [];
  if (s.ranks.length !== s.p) problems.push(`the schedule has ${s.ranks.length} rank lists for p = ${s.p}`);
  const stages = s.p * s.v;
  const seen = new Map<string, number>();
  const sends = new Map<string, string>();
  const recvs = new Map<string, string>();
  s.ranks.forEach((list, r) => {
    const done = new Set<string>();
    let steps = 0;
    list.forEach((a, i) => {
      const name = formatAction(r, a, s.v);
      if (a.kind === 'STEP') {
        steps++;
        const pending = [];
        for (let c = 0; c < s.v; c++) for (let mb = 0; mb < s.m; mb++) if (!done.has(`B${mb}:${c}`)) pending.push(mb);
        if (pending.length)
          problems.push(`${name} (position ${i}) comes before the rank's backward of microbatch ${pending[0]}`);
        return;
      }
      if (!Number.isInteger(a.mb) || a.mb < 0 || a.mb >= s.m)
        return problems.push(`${name}: microbatch ${a.mb} is outside 0..${s.m - 1}`);
      if (!Number.isInteger(a.chunk) || a.chunk < 0 || a.chunk >= s.v)
        return problems.push(`${name}: chunk ${a.chunk} is outside 0..${s.v - 1}`);
      const vs = virtualStage(s, r, a.chunk);
      const tag = `${a.mb}:${a.chunk}`;
      const need = (what: string, why: string): void => {
        if (!done.has(what)) problems.push(`${name} (position ${i}) ${why}`);
      };
      switch (a.kind) {
        case 'F':
          if (vs > 0) need(`RECV_F${tag}`, `runs before the activation of microbatch ${a.mb} is received`);
          break;
        case 'B':
          need(`F${tag}`, `runs before the forward of microbatch ${a.mb}`);
          if (vs < stages - 1) need(`RECV_B${tag}`, `runs before the gradient of microbatch ${a.mb} is received`);
          break;
        case 'SEND_F':
          need(`F${tag}`, `sends an activation before its forward ran`);
          break;
        case 'SEND_B':
          need(`B${tag}`, `sends a gradient before its backward ran`);
          break;
      }
      if (done.has(`${a.kind}${tag}`)) problems.push(`${name} appears twice on rank ${r}`);
      done.add(`${a.kind}${tag}`);
      if (a.kind === 'F' || a.kind === 'B')
        seen.set(`${a.kind}:${vs}:${a.mb}`, (seen.get(`${a.kind}:${vs}:${a.mb}`) ?? 0) + 1);
      const msg = messageKey(s, r, a);
      if (a.kind !== 'F' && a.kind !== 'B') {
        if (!msg) problems.push(`${name} has no peer: there is no stage on that side of virtual stage ${vs}`);
        else (a.kind.startsWith('SEND') ? sends : recvs).set(msg.key, name);
      }
    });
    if (steps !== 1) problems.push(`rank ${r} steps its optimizer ${steps} times (once, at the end, is right)`);
  });
  for (let vs = 0; vs < stages; vs++) {
    for (let mb = 0; mb < s.m; mb++) {
      for (const k of ['F', 'B']) {
        const n = seen.get(`${k}:${vs}:${mb}`) ?? 0;
        if (n !== 1) problems.push(`virtual stage ${vs} runs ${k} of microbatch ${mb} ${n} times (once is right)`);
      }
    }
  }
  for (const [key, name] of sends) if (!recvs.has(key)) problems.push(`${name} is never received`);
  for (const [key, name] of recvs) if (!sends.has(key)) problems.push(`${name} waits for a send that never comes`);
  return problems;
}

const costOf = (c: number | number[] | undefined, vs: number, dflt: number): number =>
  c === undefined ? dflt : typeof c === 'number' ? c : (c[vs] ?? dflt);

/** Checks and runs the schedule; throws ScheduleError on any problem, deadlock included. */
export function simulate(s: Schedule, options: SimulateOptions = {}): SimulationResult {
  const problems = checkSchedule(s);
  if (problems.length) throw new ScheduleError(problems);
  const mode = options.sendMode ?? 'rendezvous';
  const comm = options.comm ?? 0;
  const fwd = (vs: number): number => costOf(options.forward, vs, 1 / s.v);
  const bwd = (vs: number): number => costOf(options.backward ?? options.forward, vs, 1 / s.v);
  const pc = s.ranks.map(() => 0);
  const clock = s.ranks.map(() => 0);
  const busy = s.ranks.map(() => 0);
  const inFlight = s.ranks.map(() => 0);
  const peak = s.ranks.map(() => 0);
  const timeline: TimedAction[] = [];
  const posted = new Map<string, number>(); // buffered sends: key → time available
  const current = (r: number): Action | undefined => s.ranks[r]![pc[r]!];
  const matches = (r: number, key: string, kind: string): boolean => {
    const a = current(r);
    return a !== undefined && a.kind === kind && messageKey(s, r, a)?.key === key;
  };
  const run = (r: number): boolean => {
    const a = current(r)!;
    const vs = virtualStage(s, r, a.chunk);
    if (a.kind === 'F' || a.kind === 'B' || a.kind === 'STEP') {
      const cost = a.kind === 'F' ? fwd(vs) : a.kind === 'B' ? bwd(vs) : 0;
      timeline.push({ rank: r, action: a, start: clock[r]!, end: clock[r]! + cost });
      clock[r]! += cost;
      busy[r]! += cost;
      if (a.kind === 'F') peak[r] = Math.max(peak[r]!, ++inFlight[r]!);
      if (a.kind === 'B') inFlight[r]!--;
      pc[r]!++;
      return true;
    }
    const { key, peer } = messageKey(s, r, a)!;
    const sending = a.kind.startsWith('SEND');
    if (mode === 'buffered') {
      if (sending) {
        posted.set(key, clock[r]! + comm);
      } else {
        const t = posted.get(key);
        if (t === undefined) return false;
        clock[r] = Math.max(clock[r]!, t);
      }
      pc[r]!++;
      return true;
    }
    // Rendezvous: the pair completes together, when both have reached it.
    const partnerKind = sending ? a.kind.replace('SEND', 'RECV') : a.kind.replace('RECV', 'SEND');
    if (!matches(peer, key, partnerKind)) return false;
    const t = Math.max(clock[r]!, clock[peer]!) + comm;
    clock[r] = t;
    clock[peer] = t;
    pc[r]!++;
    pc[peer]!++;
    return true;
  };
  for (;;) {
    let progress = false;
    for (let r = 0; r < s.p; r++) while (pc[r]! < s.ranks[r]!.length && run(r)) progress = true;
    if (pc.every((x, r) => x === s.ranks[r]!.length)) break;
    if (!progress) {
      const stuck = s.ranks.flatMap((list, r) =>
        pc[r]! < list.length ? [`rank ${r} waits at ${formatAction(r, list[pc[r]!]!, s.v)}`] : [],
      );
      throw new ScheduleError([`the schedule deadlocks with ${mode} sends: ${stuck.join(', ')}`]);
    }
  }
  const makespan = Math.max(...clock);
  const total = busy.reduce((a, b) => a + b, 0);
  return { makespan, busy, bubble: makespan > 0 ? 1 - total / (s.p * makespan) : 0, peakInFlight: peak, timeline };
}

/** The bubble fraction theory gives for GPipe and 1F1B with equal stages: (p − 1) / (m + p − 1). */
export const theoreticalBubble = (p: number, m: number, v = 1): number => (p - 1) / (v * m + p - 1);
