/**
 * A labelled dataset held in memory (x: samples × features, row-major; y: class indices), its
 * constructors from arrays, a generator or a tensor file, and `checkDataset`, which every
 * constructor runs: integer labels in 0..classes-1, finite features, lengths that agree.
 */
import { InvalidArgumentError } from '../../common/index.js';
import { readTensorFile } from '../tensor-file.js';

export interface Dataset {
  /** Samples × features, row-major. */
  x: Float32Array;
  /** Class index of each sample. */
  y: Int32Array;
  features: number;
  classes: number;
  length: number;
}

const invalid = (field: string, message: string): InvalidArgumentError =>
  new InvalidArgumentError(`${field}: ${message}`, { context: { field } });

/** A dataset over `x` and `y` as they are (no copy); throws when they disagree. */
export function dataset(x: Float32Array, y: Int32Array, features: number, classes: number): Dataset {
  if (x.length !== y.length * features) {
    throw new InvalidArgumentError(`data has ${x.length} values for ${y.length} labels of ${features} features each`, {
      context: { field: 'data' },
    });
  }
  return { x, y, features, classes, length: y.length };
}

/**
 * Checks a dataset that came from outside (a file, the wire, a user): `field.x` a Float32Array of
 * finite values, `field.y` integer labels in 0..classes-1 (an Int32Array), lengths that agree.
 */
export function checkDataset(d: unknown, field = 'data'): Dataset {
  if (d === null || typeof d !== 'object') throw invalid(field, `must be a dataset object, got ${typeof d}`);
  const { x, y, features, classes } = d as Record<string, unknown>;
  if (!Number.isInteger(features) || (features as number) < 1)
    throw invalid(`${field}.features`, `must be an integer ≥ 1, got ${String(features)}`);
  if (!Number.isInteger(classes) || (classes as number) < 1)
    throw invalid(`${field}.classes`, `must be an integer ≥ 1, got ${String(classes)}`);
  if (!(x instanceof Float32Array)) throw invalid(`${field}.x`, `must be a Float32Array, got ${describe(x)}`);
  if (!(y instanceof Int32Array)) {
    if (ArrayBuffer.isView(y) || Array.isArray(y)) {
      const arr = y as ArrayLike<number>;
      for (let i = 0; i < arr.length; i++) {
        if (!Number.isInteger(arr[i]))
          throw invalid(`${field}.y`, `labels must be integers, sample ${i} has ${arr[i]} (y must be an Int32Array)`);
      }
    }
    throw invalid(`${field}.y`, `must be an Int32Array of class indices, got ${describe(y)}`);
  }
  const f = features as number;
  const k = classes as number;
  if (x.length !== y.length * f)
    throw invalid(`${field}.x`, `has ${x.length} values for ${y.length} labels of ${f} features each`);
  const length = (d as Record<string, unknown>).length;
  if (length !== undefined && length !== y.length)
    throw invalid(`${field}.length`, `is ${String(length)} but y has ${y.length} labels`);
  for (let i = 0; i < y.length; i++) {
    if (y[i]! < 0 || y[i]! >= k) throw invalid(`${field}.y`, `sample ${i} has label ${y[i]}, outside 0..${k - 1}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!))
      throw invalid(`${field}.x`, `sample ${Math.floor(i / f)} feature ${i % f} is ${x[i]} (not finite)`);
  }
  return { x, y, features: f, classes: k, length: y.length };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (ArrayBuffer.isView(v)) return v.constructor.name;
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

function labels(y: ArrayLike<number>, field: string): Int32Array {
  const out = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!;
    if (!Number.isInteger(v)) throw invalid(field, `labels must be integers, sample ${i} has ${v}`);
    if (v < 0 || v > 2 ** 31 - 1) throw invalid(field, `labels must be ≥ 0, sample ${i} has ${v}`);
    out[i] = v;
  }
  return out;
}

function maxLabel(y: Int32Array): number {
  let m = -1;
  for (const v of y) if (v > m) m = v;
  return m;
}

/**
 * A dataset from arrays (typed or plain): `x` rows × `features`, `y` integer labels. `classes`
 * defaults to the largest label + 1. The arrays are copied.
 */
export function fromArrays(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  opts: { features: number; classes?: number; field?: string },
): Dataset {
  const field = opts.field ?? 'data';
  const ys = labels(y, `${field}.y`);
  const xs = Float32Array.from(x);
  const classes = opts.classes ?? Math.max(1, maxLabel(ys) + 1);
  return checkDataset({ x: xs, y: ys, features: opts.features, classes }, field);
}

/** A dataset of `length` samples made by `sample(i)`; `features` defaults to the first sample's width. */
export function fromGenerator(
  length: number,
  sample: (i: number) => { x: ArrayLike<number>; y: number },
  opts: { features?: number; classes?: number; field?: string } = {},
): Dataset {
  const field = opts.field ?? 'data';
  if (!Number.isInteger(length) || length < 1)
    throw invalid(`${field}.length`, `must be an integer ≥ 1, got ${length}`);
  const first = sample(0);
  const features = opts.features ?? first.x.length;
  const x = new Float32Array(length * features);
  const y = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const s = i === 0 ? first : sample(i);
    if (s.x.length !== features)
      throw invalid(`${field}.x`, `sample ${i} has ${s.x.length} features, expected ${features}`);
    x.set(s.x, i * features);
    y[i] = s.y;
  }
  const ys = labels(y, `${field}.y`);
  return checkDataset({ x, y: ys, features, classes: opts.classes ?? Math.max(1, maxLabel(ys) + 1) }, field);
}

/**
 * A dataset from two tensors of a tensor file (src/train/tensor-file.ts): `x` float32 of shape
 * [n, ...] (flattened to n × features), `y` int32 of shape [n].
 */
export async function tensorFileDataset(
  path: string,
  opts: { x: string; y: string; classes?: number },
): Promise<Dataset> {
  const file = await readTensorFile(path);
  const get = (name: string, role: 'x' | 'y') => {
    const t = file.tensors.get(name);
    if (!t) throw invalid(role, `${path} has no tensor '${name}' (it has ${[...file.tensors.keys()].join(', ')})`);
    return t;
  };
  const tx = get(opts.x, 'x');
  const ty = get(opts.y, 'y');
  if (tx.dtype !== 'float32') throw invalid('x', `tensor '${opts.x}' in ${path} is ${tx.dtype}, expected float32`);
  if (ty.dtype !== 'int32') throw invalid('y', `tensor '${opts.y}' in ${path} is ${ty.dtype}, expected int32`);
  if (ty.shape.length !== 1) throw invalid('y', `tensor '${opts.y}' in ${path} has shape [${ty.shape}], expected [n]`);
  const n = ty.shape[0]!;
  if (tx.shape.length < 1 || tx.shape[0] !== n)
    throw invalid('x', `tensor '${opts.x}' in ${path} has shape [${tx.shape}], expected [${n}, ...]`);
  const features = tx.shape.slice(1).reduce((a, b) => a * b, 1);
  const y = ty.data as Int32Array;
  return checkDataset(
    { x: tx.data as Float32Array, y, features, classes: opts.classes ?? Math.max(1, maxLabel(y) + 1) },
    path,
  );
}
