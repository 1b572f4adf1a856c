/**
 * NumPy `.npy` files (format versions 1, 2 and 3): little-endian f4/f8/i1/i2/i4/i8/u1/u2/u4 in C
 * order. Fortran order, big-endian, object and other dtypes, malformed headers and truncated data
 * are refused naming the file and what was wrong. `readNpyDataset` builds a Dataset from two files.
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, SerializationError } from '../../common/index.js';
import { checkDataset, type Dataset } from './dataset.js';

export type NpyDtype = 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2' | 'u4';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The values in C order (int64 as Float64Array: exact up to 2^53, larger values refused). */
  data: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
const SIZES: Record<NpyDtype, number> = { f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2, u4: 4 };

/** Parses the bytes of a `.npy` file; `path` names it in errors. */
export function parseNpy(bytes: Uint8Array, path: string): NpyArray {
  const bad = (what: string) => new SerializationError(`${path}: ${what}`, { context: { path } });
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw bad('not a .npy file (no \\x93NUMPY magic)');
  const major = buf[6]!;
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) throw bad('truncated header');
    headerLen = buf.readUInt32LE(8);
    start = 12;
  } else throw bad(`unsupported .npy format version ${major}.${buf[7]}`);
  if (start + headerLen > buf.length) throw bad(`truncated header (${headerLen} bytes announced)`);
  const header = buf.subarray(start, start + headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw bad(`malformed header ${JSON.stringify(header.trim())}`);
  if (fortran === 'True') throw bad('fortran_order arrays are not supported (save it in C order)');
  const order = descr[0];
  const code = descr.slice(1) as NpyDtype;
  if (order === '>') throw bad(`big-endian dtype '${descr}' is not supported`);
  if (!(code in SIZES) || (order !== '<' && order !== '|'))
    throw bad(`dtype '${descr}' is not supported (f4, f8, i1, i2, i4, i8, u1, u2, u4, little-endian)`);
  if (order === '|' && SIZES[code] !== 1) throw bad(`dtype '${descr}' has no byte order`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d+$/.test(s)) throw bad(`malformed shape (${shapeText})`);
      return Number(s);
    });
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const need = count * SIZES[code];
  if (buf.length - dataStart < need)
    throw bad(
      `truncated data: shape [${shape}] of ${descr} needs ${need} bytes, the file has ${buf.length - dataStart}`,
    );
  // Copy into an aligned buffer, then view it.
  const raw = new Uint8Array(need);
  raw.set(buf.subarray(dataStart, dataStart + need));
  const ab = raw.buffer;
  let data: NpyArray['data'];
  switch (code) {
    case 'f4':
      data = new Float32Array(ab);
      break;
    case 'f8':
      data = new Float64Array(ab);
      break;
    case 'i1':
      data = new Int8Array(ab);
      break;
    case 'i2':
      data = new Int16Array(ab);
      break;
    case 'i4':
      data = new Int32Array(ab);
      break;
    case 'u1':
      data = new Uint8Array(ab);
      break;
    case 'u2':
      data = new Uint16Array(ab);
      break;
    case 'u4':
      data = new Uint32Array(ab);
      break;
    case 'i8': {
      const big = new BigInt64Array(ab);
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const v = big[i]!;
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))
          throw bad(`int64 value ${v} at element ${i} is beyond 2^53`);
        data[i] = Number(v);
      }
      break;
    }
  }
  return { dtype: code, shape, data };
}

/** Reads a `.npy` file. */
export async function readNpy(path: string): Promise<NpyArray> {
  return parseNpy(await readFile(path), path);
}

/**
 * A dataset from `xPath` (any numeric dtype, shape [n, ...], flattened to n × features, as
 * float32) and `yPath` (integer labels, shape [n]; a float file whose values are all integers is
 * taken too). `classes` defaults to the largest label + 1.
 */
export async function readNpyDataset(xPath: string, yPath: string, opts: { classes?: number } = {}): Promise<Dataset> {
  const [x, y] = await Promise.all([readNpy(xPath), readNpy(yPath)]);
  if (x.shape.length < 1)
    throw new InvalidArgumentError(`${xPath}: x must have shape [n, ...], got a scalar`, { context: { field: 'x' } });
  if (y.shape.length !== 1)
    throw new InvalidArgumentError(`${yPath}: labels must have shape [n], got [${y.shape}]`, {
      context: { field: 'y' },
    });
  if (x.shape[0] !== y.shape[0])
    throw new InvalidArgumentError(`${xPath} has ${x.shape[0]} samples but ${yPath} has ${y.shape[0]} labels`, {
      context: { field: 'y' },
    });
  const features = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const labels = new Int32Array(y.data.length);
  let max = -1;
  for (let i = 0; i < labels.length; i++) {
    const v = y.data[i]!;
    if (!Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1)
      throw new InvalidArgumentError(`${yPath}: label ${i} is ${v}, labels must be integers ≥ 0`, {
        context: { field: 'y' },
      });
    labels[i] = v;
    if (v > max) max = v;
  }
  const xs = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  return checkDataset({ x: xs, y: labels, features, classes: opts.classes ?? Math.max(1, max + 1) }, xPath);
}
