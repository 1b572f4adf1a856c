/**
 * The file format of Troupe checkpoints: the safetensors layout, so the files are readable
 * without Troupe (Python's `safetensors`, or a few lines of numpy).
 *
 *   bytes [0, 8)       N, the header length: unsigned 64-bit little-endian
 *   bytes [8, 8+N)     the header: UTF-8 JSON, padded with spaces so 8+N is a multiple of 8
 *   bytes [8+N, end)   the data: each tensor's elements, raw little-endian, row-major, one after
 *                      another with no gaps
 *
 * The header maps each tensor name to { "dtype": "F32" | "I32", "shape": [...],
 * "data_offsets": [begin, end] } (byte offsets into the data, end exclusive), plus an optional
 * "__metadata__" object of string keys to string values.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import { InvalidArgumentError, SerializationError } from '../common/index.js';

export interface StoredTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface TensorFile {
  tensors: Map<string, StoredTensor>;
  metadata: Record<string, string>;
}

const DTYPE_CODE = { float32: 'F32', int32: 'I32' } as const;
const MAX_HEADER = 100 * 1024 * 1024;

function littleEndianOnly(): void {
  if (os.endianness() !== 'LE')
    throw new SerializationError('checkpoint files are little-endian; this machine is big-endian');
}

/** Writes `tensors` (in map order) and `metadata` to `path`, atomically (a temporary file, then a rename). */
export async function writeTensorFile(
  path: string,
  tensors: ReadonlyMap<string, StoredTensor>,
  metadata: Record<string, string> = {},
): Promise<void> {
  littleEndianOnly();
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new InvalidArgumentError('a tensor cannot be named __metadata__');
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) {
      throw new InvalidArgumentError(
        `tensor ${name}: shape [${t.shape.join(',')}] needs ${count} elements, data has ${t.data.length}`,
      );
    }
    header[name] = { dtype: DTYPE_CODE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  json = Buffer.concat([json, Buffer.alloc(padded - json.length, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));

  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const file = await open(tmp, 'w');
  try {
    await file.write(prefix);
    await file.write(json);
    for (const t of tensors.values())
      await file.write(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    await file.sync();
    await file.close();
    await rename(tmp, path);
  } catch (err) {
    await file.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Reads a file written by writeTensorFile (or any safetensors file of F32/I32 tensors). */
export async function readTensorFile(path: string): Promise<TensorFile> {
  littleEndianOnly();
  const buf = await readFile(path);
  const bad = (why: string) =>
    new SerializationError(`${path} is not a valid checkpoint file: ${why}`, { context: { file: path } });
  if (buf.length < 8) throw bad('shorter than its 8-byte header length');
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(Math.min(MAX_HEADER, buf.length - 8))) throw bad(`header length ${n} runs past the end of the file`);
  const dataStart = 8 + Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(buf.subarray(8, dataStart).toString('utf8')) as Record<string, unknown>;
  } catch (err) {
    throw bad(`header is not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('header is not a JSON object');
  const dataLength = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, StoredTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, v] of Object.entries((entry ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`metadata ${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = e.dtype === 'F32' ? 'float32' : e.dtype === 'I32' ? 'int32' : null;
    if (!dtype) throw bad(`tensor ${name} has dtype ${JSON.stringify(e.dtype)}; only F32 and I32 are supported`);
    const shape = e.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
      throw bad(`tensor ${name} has a bad shape`);
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      throw bad(`tensor ${name} has bad data_offsets`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength || end - begin !== count * 4) {
      throw bad(
        `tensor ${name}: data_offsets [${begin}, ${end}] do not hold ${count} elements inside ${dataLength} data bytes`,
      );
    }
    // Copy into a fresh, aligned buffer (the file buffer may start at any offset).
    const bytes = new Uint8Array(buf.subarray(dataStart + begin, dataStart + end));
    const data = dtype === 'float32' ? new Float32Array(bytes.buffer) : new Int32Array(bytes.buffer);
    tensors.set(name, { dtype, shape: shape as number[], data });
  }
  return { tensors, metadata };
}
