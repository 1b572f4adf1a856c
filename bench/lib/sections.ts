/**
 * A benchmark section: a named group of figures measured together. A section that throws (or runs
 * past its time limit) is reported as failed rows, so one broken section does not hide the others.
 */
import type { Report, AddOptions } from './report.js';

export interface RowSpec {
  name: string;
  unit: string;
  opts?: AddOptions;
}

/** The figures a section measured, one per RowSpec, with a baseline per row where known. */
export type Measured = Array<{ value: number; baseline?: number | null }>;

export class UsageError extends Error {
  override name = 'UsageError';
}

export class SectionTimeoutError extends Error {
  override name = 'SectionTimeoutError';
}

/** Rejects with SectionTimeoutError if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SectionTimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs `measure` and adds one row per spec; on error adds the same rows as failed. Returns the
 * values (null on failure) so later sections can use them as baselines.
 */
export async function section(
  report: Report,
  rows: RowSpec[],
  timeoutMs: number,
  measure: () => Promise<Measured>,
): Promise<Array<number | null>> {
  const title = rows.map((r) => r.name).join(', ');
  process.stderr.write(`[bench] ${title} ...\n`);
  try {
    const values = await withTimeout(measure(), timeoutMs, title);
    if (values.length !== rows.length) {
      throw new Error(`section returned ${values.length} values for ${rows.length} rows`);
    }
    rows.forEach((r, i) => {
      const m = values[i]!;
      const opts = { ...r.opts };
      if (m.baseline !== undefined) opts.baseline = m.baseline;
      report.add(r.name, m.value, r.unit, opts);
    });
    return values.map((m) => m.value);
  } catch (err) {
    process.stderr.write(`[bench] FAILED: ${title}: ${err instanceof Error ? err.stack : String(err)}\n`);
    for (const r of rows) report.fail(r.name, r.unit, err, r.opts);
    return rows.map(() => null);
  }
}
