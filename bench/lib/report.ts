/**
 * Result collection and printing shared by the benchmarks (STYLE.md item 11: every figure is printed
 * with the raw baseline measured in the same run and the ratio). A `Report` prints an aligned table
 * and then exactly one JSON line, which is always the last line of stdout.
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** A target a figure must meet: on the ratio to its baseline, or on the value itself. */
export interface Target {
  on: 'ratio' | 'value';
  op: '>=' | '<=';
  threshold: number;
}

export interface Row {
  name: string;
  value: number | null;
  unit: string;
  baselineName?: string;
  baseline?: number;
  ratio?: number;
  target?: Target;
  meetsTarget?: boolean;
  /** Set when the section that should produce this figure failed; value is then null. */
  error?: string;
}

export interface AddOptions {
  baselineName?: string;
  baseline?: number | null;
  target?: Target;
}

export class Report {
  readonly rows: Row[] = [];
  /** Explanations printed under the table (where a figure's time goes). */
  readonly notes: string[] = [];

  constructor(readonly bench: string) {}

  /** Adds an explanation, printed under the table and kept in the JSON. */
  note(text: string): void {
    this.notes.push(text);
  }

  /** Records a figure; computes the ratio to the baseline and whether the target is met. */
  add(name: string, value: number, unit: string, opts: AddOptions = {}): Row {
    const row: Row = { name, value, unit };
    if (opts.baselineName !== undefined) row.baselineName = opts.baselineName;
    if (opts.baseline != null) {
      row.baseline = opts.baseline;
      if (opts.baseline > 0) row.ratio = value / opts.baseline;
    }
    if (opts.target) {
      row.target = opts.target;
      const subject = opts.target.on === 'ratio' ? row.ratio : value;
      if (subject !== undefined) {
        row.meetsTarget = opts.target.op === '>=' ? subject >= opts.target.threshold : subject <= opts.target.threshold;
      }
    }
    this.rows.push(row);
    return row;
  }

  /** Records a figure that could not be measured because its section threw. */
  fail(name: string, unit: string, err: unknown, opts: AddOptions = {}): Row {
    const row: Row = { name, value: null, unit, error: errorText(err) };
    if (opts.baselineName !== undefined) row.baselineName = opts.baselineName;
    if (opts.baseline != null) row.baseline = opts.baseline;
    if (opts.target) row.target = opts.target;
    this.rows.push(row);
    return row;
  }

  get failed(): boolean {
    return this.rows.some((r) => r.error !== undefined);
  }

  /** The aligned human-readable table, one line per row. */
  table(): string {
    const head = ['figure', 'value', 'baseline', 'ratio', 'target', 'ok'];
    const lines = this.rows.map((r) => [
      r.name,
      r.value === null ? 'FAILED' : `${fmt(r.value)} ${r.unit}`,
      r.baseline === undefined ? '-' : `${fmt(r.baseline)} (${r.baselineName ?? 'baseline'})`,
      r.ratio === undefined ? '-' : `${r.ratio.toFixed(2)}x`,
      r.target ? targetText(r.target, r.unit) : '-',
      r.error !== undefined ? 'ERROR' : r.meetsTarget === undefined ? '-' : r.meetsTarget ? 'yes' : 'NO',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const pad = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    const out = [pad(head), pad(widths.map((w) => '-'.repeat(w))), ...lines.map(pad)];
    const errors = new Map<string, string[]>();
    for (const r of this.rows) if (r.error !== undefined) errors.set(r.error, [...(errors.get(r.error) ?? []), r.name]);
    for (const [error, names] of errors) out.push(`error in ${names.map((n) => `"${n}"`).join(', ')}: ${error}`);
    return out.join('\n');
  }

  /** The single JSON object printed as the last line of stdout. */
  json(): string {
    return JSON.stringify({
      bench: this.bench,
      machine: { cpus: os.cpus().length, node: process.version },
      results: this.rows,
      ...(this.notes.length ? { notes: this.notes } : {}),
    });
  }

  /** Prints the table, then the JSON line last. */
  print(): void {
    const notes = this.notes.map((n) => `\n${n}\n`).join('');
    process.stdout.write(`${this.table()}\n${notes}${this.json()}\n`);
  }
}

export function targetText(t: Target, unit: string): string {
  const op = t.op === '>=' ? '≥' : '≤';
  return t.on === 'ratio' ? `${op} ${t.threshold}x` : `${op} ${fmt(t.threshold)} ${unit}`;
}

/** Formats a number with 3 significant digits at most, grouping thousands. */
export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return code !== undefined ? `${String(code)}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Nearest-rank percentile (p in 0..100) of the samples; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Rate {
  /** Operations completed inside the measured interval. */
  ops: number;
  seconds: number;
  perSecond: number;
}

export interface RateOptions {
  durationMs: number;
  /** Run unmeasured for this long first (JIT, connection set-up). */
  warmupMs?: number;
  /** How many operations are kept in flight; 1 means strictly sequential awaits. */
  inFlight?: number;
}

/**
 * Runs `op` repeatedly with `inFlight` operations outstanding (each slot issues its next operation
 * as soon as its previous one settles), and counts the completions that land inside the measured
 * interval after the warm-up. Rejects with the first error an operation throws.
 */
export async function measureRate(op: () => Promise<unknown>, opts: RateOptions): Promise<Rate> {
  const inFlight = Math.max(1, opts.inFlight ?? 1);
  const warmupMs = opts.warmupMs ?? 0;
  let measuring = warmupMs <= 0;
  let stopped = false;
  let ops = 0;
  let start = performance.now();
  let end = start;
  const warmTimer = setTimeout(() => {
    measuring = true;
    ops = 0;
    start = performance.now();
  }, warmupMs);
  const endTimer = setTimeout(() => {
    end = performance.now();
    stopped = true;
  }, warmupMs + opts.durationMs);
  const slot = async () => {
    while (!stopped) {
      await op();
      if (measuring && !stopped) ops++;
    }
  };
  try {
    await Promise.all(Array.from({ length: inFlight }, slot));
  } catch (err) {
    stopped = true;
    throw err;
  } finally {
    clearTimeout(warmTimer);
    clearTimeout(endTimer);
  }
  const seconds = (end - start) / 1000;
  return { ops, seconds, perSecond: ops / seconds };
}

/** Awaits `ms` milliseconds. */
export { sleep };
