/**
 * Pipeline schedules as data: for each pipeline rank (a stage actor) the ordered list of what it
 * does — forward F(mb), backward B(mb), sends and receives of activations (F) and gradients (B),
 * and the optimizer step at the flush.
 *
 * With interleaving (v > 1) rank r holds v model chunks, virtual stages r, r + p, r + 2p, …; an
 * action then also names its chunk. Text form, for readable tests and the CLI's JSON:
 *
 *   "2F0"      rank 2, forward of microbatch 0        "3SEND_F1"  rank 3 sends mb 1's activation on
 *   "1B4:1"    rank 1, backward of mb 4 in chunk 1    "0STEP"     rank 0 steps its optimizer
 */
import { InvalidArgumentError } from '../../common/index.js';

export type ActionKind = 'F' | 'B' | 'SEND_F' | 'RECV_F' | 'SEND_B' | 'RECV_B' | 'STEP';
const KINDS: readonly ActionKind[] = ['SEND_F', 'RECV_F', 'SEND_B', 'RECV_B', 'STEP', 'F', 'B'];

export interface Action {
  kind: ActionKind;
  /** Microbatch; -1 for STEP. */
  mb: number;
  /** Model chunk on this rank (0 unless interleaved). */
  chunk: number;
}

export interface Schedule {
  /** 'gpipe', '1f1b' or 'interleaved'. */
  name: string;
  /** Pipeline ranks (devices / stage actors). */
  p: number;
  /** Microbatches per step. */
  m: number;
  /** Model chunks per rank (1 unless interleaved). */
  v: number;
  /** `ranks[r]`: what rank r does, in order. */
  ranks: Action[][];
}

/** Virtual stage of an action: chunk c of rank r is stage c·p + r of the p·v stages. */
export const virtualStage = (s: Pick<Schedule, 'p'>, rank: number, chunk: number): number => chunk * s.p + rank;

/** Rank and chunk that hold virtual stage `vs`. */
export const holderOf = (s: Pick<Schedule, 'p'>, vs: number): { rank: number; chunk: number } => ({
  rank: vs % s.p,
  chunk: Math.floor(vs / s.p),
});

export function formatAction(rank: number, a: Action, v = 1): string {
  if (a.kind === 'STEP') return `${rank}STEP`;
  return `${rank}${a.kind}${a.mb}${v > 1 ? `:${a.chunk}` : ''}`;
}

const TEXT = /^(\d+)(SEND_F|RECV_F|SEND_B|RECV_B|STEP|F|B)(\d+)?(?::(\d+))?$/;

/** Parses the text form: returns the rank and the action. */
export function parseAction(text: string): { rank: number; action: Action } {
  const m = TEXT.exec(text.trim());
  if (!m || (m[2] === 'STEP') !== (m[3] === undefined)) {
    throw new InvalidArgumentError(
      `"${text}" is not an action; write RANK KIND MB[:CHUNK], e.g. "2F0", "3SEND_F1", "1B4:1" or "0STEP" (kinds: ${KINDS.join(', ')})`,
      {
        context: { field: 'action' },
      },
    );
  }
  return {
    rank: Number(m[1]),
    action: { kind: m[2] as ActionKind, mb: m[3] === undefined ? -1 : Number(m[3]), chunk: Number(m[4] ?? 0) },
  };
}

/** The schedule as JSON-friendly text: per rank, its actions in the text form. */
export function scheduleToJson(s: Schedule): { name: string; p: number; m: number; v: number; ranks: string[][] } {
  return {
    name: s.name,
    p: s.p,
    m: s.m,
    v: s.v,
    ranks: s.ranks.map((list, r) => list.map((a) => formatAction(r, a, s.v))),
  };
}

/** Builds a schedule from the text form (each rank's list must only hold that rank's actions). */
export function scheduleFromText(name: string, ranks: string[][], m: number, v = 1): Schedule {
  const p = ranks.length;
  return {
    name,
    p,
    m,
    v,
    ranks: ranks.map((list, r) =>
      list.map((t) => {
        const { rank, action } = parseAction(t);
        if (rank !== r)
          throw new InvalidArgumentError(`action "${t}" is listed for rank ${r} but names rank ${rank}`, {
            context: { field: `ranks[${r}]` },
          });
        return action;
      }),
    ),
  };
}
