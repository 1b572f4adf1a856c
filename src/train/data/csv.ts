/**
 * A dataset from a CSV file (parsed by `csv-parse`): one sample per row, one column the integer
 * label (by header name or index), every other column a numeric feature. A non-numeric cell or a
 * short row is refused naming its row and column.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { InvalidArgumentError } from '../../common/index.js';
import { checkDataset, type Dataset } from './dataset.js';

export interface CsvDatasetOptions {
  /** The label column: its header name (needs a header) or its 0-based index. */
  label: string | number;
  /** Whether the first row names the columns (default: true when `label` is a name, else false). */
  header?: boolean;
  /** Default: the largest label + 1. */
  classes?: number;
}

export async function readCsvDataset(path: string, opts: CsvDatasetOptions): Promise<Dataset> {
  const header = opts.header ?? typeof opts.label === 'string';
  const bad = (message: string, field = 'data') =>
    new InvalidArgumentError(`${path}: ${message}`, { context: { field, path } });
  let rows: string[][];
  try {
    rows = parse(await readFile(path, 'utf8'), { skip_empty_lines: true, trim: true, relax_column_count: true });
  } catch (e) {
    throw bad(`not valid CSV: ${(e as Error).message}`);
  }
  let names: string[] | undefined;
  if (header) {
    names = rows.shift();
    if (!names) throw bad('is empty (no header row)');
  }
  const width = names?.length ?? rows[0]?.length ?? 0;
  let labelCol: number;
  if (typeof opts.label === 'string') {
    if (!names) throw bad(`label '${opts.label}' is a column name, but the file is read without a header`, 'label');
    labelCol = names.indexOf(opts.label);
    if (labelCol < 0) throw bad(`has no column '${opts.label}' (columns: ${names.join(', ')})`, 'label');
  } else {
    labelCol = opts.label;
    if (!Number.isInteger(labelCol) || labelCol < 0 || labelCol >= width)
      throw bad(`label column ${labelCol} is outside 0..${width - 1}`, 'label');
  }
  if (rows.length === 0) throw bad('has no data rows');
  const features = width - 1;
  if (features < 1) throw bad('needs at least one feature column besides the label');
  const x = new Float32Array(rows.length * features);
  const y = new Int32Array(rows.length);
  let max = -1;
  const firstRow = header ? 2 : 1;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const line = r + firstRow;
    if (row.length !== width) throw bad(`row ${line} has ${row.length} cells, expected ${width}`);
    let f = 0;
    for (let c = 0; c < width; c++) {
      const cell = row[c]!;
      const v = cell === '' ? Number.NaN : Number(cell);
      const col = names ? `${c} ('${names[c]}')` : `${c}`;
      if (!Number.isFinite(v)) throw bad(`row ${line} column ${col}: '${cell}' is not a number`);
      if (c === labelCol) {
        if (!Number.isInteger(v) || v < 0)
          throw bad(`row ${line} column ${col}: label '${cell}' is not an integer ≥ 0`);
        y[r] = v;
        if (v > max) max = v;
      } else x[r * features + f++] = v;
    }
  }
  return checkDataset({ x, y, features, classes: opts.classes ?? max + 1 }, path);
}
