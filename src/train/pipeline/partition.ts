/**
 * Splitting a model's layers into pipeline stages: uniformly by layer count, balanced by parameter
 * count (the split that minimises the largest stage), or at explicit boundaries.
 */
import { InvalidArgumentError } from '../../common/index.js';

export interface LayerInfo {
  name: string;
  params: number;
}

export type PartitionSpec =
  | { method: 'uniform' }
  | { method: 'balanced' }
  | { method: 'explicit'; boundaries: number[] };

/** Stage i gets layers [ranges[i][0], ranges[i][1]). */
export type StageRanges = Array<[number, number]>;

export function partition(
  layers: readonly LayerInfo[],
  stages: number,
  spec: PartitionSpec = { method: 'balanced' },
): StageRanges {
  const n = layers.length;
  if (!Number.isInteger(stages) || stages < 1)
    throw new InvalidArgumentError(`stages must be an integer >= 1, got ${stages}`, { context: { field: 'stages' } });
  if (stages > n) {
    throw new InvalidArgumentError(
      `cannot split ${n} layer(s) into ${stages} stages: every stage needs at least one layer (layers: ${layers.map((l) => l.name).join(', ')})`,
      { context: { field: 'stages' } },
    );
  }
  switch (spec.method) {
    case 'uniform': {
      const out: StageRanges = [];
      for (let s = 0, at = 0; s < stages; s++) {
        const size = Math.floor(n / stages) + (s < n % stages ? 1 : 0);
        out.push([at, at + size]);
        at += size;
      }
      return out;
    }
    case 'balanced':
      return balanced(layers, stages);
    case 'explicit': {
      const b = spec.boundaries;
      if (!Array.isArray(b) || b.length !== stages - 1) {
        throw new InvalidArgumentError(
          `explicit boundaries must list ${stages - 1} layer index(es) where stages 1..${stages - 1} start, got ${JSON.stringify(b)}`,
          {
            context: { field: 'boundaries' },
          },
        );
      }
      const cuts = [0, ...b, n];
      for (let i = 1; i < cuts.length; i++) {
        const [a, c] = [cuts[i - 1]!, cuts[i]!];
        if (!Number.isInteger(c) || c <= a || c > n) {
          const where = Number.isInteger(c) && c > 0 && c <= n ? `layer ${c} (${layers[c - 1]!.name})` : `index ${c}`;
          throw new InvalidArgumentError(
            `explicit boundaries must rise strictly within 1..${n - 1}: stage ${i - 1} would run from layer ${a} (${layers[a]?.name ?? 'end'}) to ${where}, which leaves it empty or out of range`,
            { context: { field: 'boundaries' } },
          );
        }
      }
      return cuts.slice(0, -1).map((a, i) => [a, cuts[i + 1]!] as [number, number]);
    }
    default:
      throw new InvalidArgumentError(`partition method must be 'uniform', 'balanced' or 'explicit'`, {
        context: { field: 'method' },
      });
  }
}

/** Contiguous split minimising the largest stage's parameters (dynamic programming, O(n² · stages)). */
function balanced(layers: readonly LayerInfo[], stages: number): StageRanges {
  const n = layers.length;
  const prefix = [0];
  for (const l of layers) prefix.push(prefix.at(-1)! + l.params);
  const cost = (a: number, b: number): number => prefix[b]! - prefix[a]!;
  // best[s][i]: smallest possible max stage size splitting the first i layers into s stages.
  const best = Array.from({ length: stages + 1 }, () => new Array<number>(n + 1).fill(Infinity));
  const cut = Array.from({ length: stages + 1 }, () => new Array<number>(n + 1).fill(0));
  best[0]![0] = 0;
  for (let s = 1; s <= stages; s++) {
    for (let i = s; i <= n; i++) {
      for (let j = s - 1; j < i; j++) {
        const v = Math.max(best[s - 1]![j]!, cost(j, i));
        if (v < best[s]![i]!) {
          best[s]![i] = v;
          cut[s]![i] = j;
        }
      }
    }
  }
  const out: StageRanges = [];
  for (let s = stages, i = n; s > 0; s--) {
    const j = cut[s]![i]!;
    out.unshift([j, i]);
    i = j;
  }
  return out;
}
