/**
 * Values whose large binary parts travel out of band: `split` replaces every TypedArray, DataView
 * or Buffer of at least `thresholdBytes` inside a value by a small placeholder and returns the raw
 * bytes beside the msgpack envelope, so they can go over the data plane without being copied into
 * a message; `join` puts views of the received bytes back, as the same types, aligned.
 */
import { SerializationError } from '../common/index.js';
import { decode, encode } from './codec.js';

/** Arrays at or above this size leave the envelope (the data plane beats msgpack from here). */
export const DEFAULT_OUT_OF_BAND_BYTES = 64 * 1024;

const KINDS = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
} as const;
type Kind = keyof typeof KINDS | 'Buffer' | 'DataView';

/** What stands in the envelope for one out-of-band array. */
interface Placeholder {
  '~troupe.oob': number;
  kind: Kind;
  length: number;
}

export interface SplitValue {
  envelope: Buffer;
  /** The out-of-band parts, in placeholder order: views of the caller's memory, not copies. */
  buffers: Uint8Array[];
}

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
};

function kindOf(v: ArrayBufferView): Kind | undefined {
  if (Buffer.isBuffer(v)) return 'Buffer';
  if (v instanceof DataView) return 'DataView';
  const name = v.constructor.name as keyof typeof KINDS;
  return name in KINDS ? name : undefined;
}

/**
 * Whether `value` holds an array that `split` would take out of band. Cheap for the common small
 * argument lists: it stops at the first hit and looks no deeper than the value goes.
 */
export function hasLargeParts(value: unknown, thresholdBytes = DEFAULT_OUT_OF_BAND_BYTES, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > 64) return false;
  if (ArrayBuffer.isView(value)) return value.byteLength >= thresholdBytes && kindOf(value) !== undefined;
  if (Array.isArray(value)) return value.some((x) => hasLargeParts(x, thresholdBytes, depth + 1));
  if (value instanceof Map) {
    for (const [k, x] of value)
      if (hasLargeParts(k, thresholdBytes, depth + 1) || hasLargeParts(x, thresholdBytes, depth + 1)) return true;
    return false;
  }
  if (value instanceof Set) {
    for (const x of value) if (hasLargeParts(x, thresholdBytes, depth + 1)) return true;
    return false;
  }
  if (!isPlainObject(value)) return false;
  for (const k in value)
    if (hasLargeParts((value as Record<string, unknown>)[k], thresholdBytes, depth + 1)) return true;
  return false;
}

/** Splits `value` into an envelope and the large binary parts it holds (nested in arrays, objects, Maps, Sets). */
export function split(value: unknown, thresholdBytes = DEFAULT_OUT_OF_BAND_BYTES): SplitValue {
  const buffers: Uint8Array[] = [];
  const seen = new Set<object>();
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (ArrayBuffer.isView(v)) {
      const kind = kindOf(v);
      if (!kind || v.byteLength < thresholdBytes) return v;
      buffers.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      const length =
        v instanceof DataView || Buffer.isBuffer(v) ? v.byteLength : (v as unknown as { length: number }).length;
      return { '~troupe.oob': buffers.length - 1, kind, length } satisfies Placeholder;
    }
    if (seen.has(v)) throw new SerializationError('cannot serialize a value that contains itself (a cycle)');
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map(walk);
      if (v instanceof Map) return new Map([...v].map(([k, x]) => [walk(k), walk(x)]));
      if (v instanceof Set) return new Set([...v].map(walk));
      if (!isPlainObject(v)) return v; // class instances: msgpackr decides, in band
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x);
      return out;
    } finally {
      seen.delete(v);
    }
  };
  const stripped = walk(value);
  return { envelope: encode(stripped), buffers };
}

/** Rebuilds a value from its envelope and the received parts (each ideally its own aligned ArrayBuffer). */
export function join<T = unknown>(envelope: Uint8Array, buffers: readonly Uint8Array[]): T {
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return v;
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Map) return new Map([...v].map(([k, x]) => [walk(k), walk(x)]));
    if (v instanceof Set) return new Set([...v].map(walk));
    if (!isPlainObject(v)) return v;
    const obj = v as Record<string, unknown>;
    if (typeof obj['~troupe.oob'] === 'number') return restore(obj as unknown as Placeholder, buffers);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(obj)) out[k] = walk(x);
    return out;
  };
  return walk(decode(envelope, 'an out-of-band envelope')) as T;
}

function restore(p: Placeholder, buffers: readonly Uint8Array[]): ArrayBufferView {
  const bytes = buffers[p['~troupe.oob']];
  if (!bytes)
    throw new SerializationError(`out-of-band part ${p['~troupe.oob']} is missing (${buffers.length} received)`);
  if (p.kind === 'Buffer') return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (p.kind === 'DataView') return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const Ctor = KINDS[p.kind];
  if (!Ctor) throw new SerializationError(`unknown out-of-band array kind ${String(p.kind)}`);
  const size = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength !== p.length * size) {
    throw new SerializationError(
      `out-of-band part ${p['~troupe.oob']} has ${bytes.byteLength} bytes, expected ${p.length} × ${size} for a ${p.kind}`,
    );
  }
  // A view needs its offset aligned to the element size; copy only when the bytes landed unaligned.
  const aligned = bytes.byteOffset % size === 0 ? bytes : new Uint8Array(bytes);
  return new Ctor(aligned.buffer as ArrayBuffer, aligned.byteOffset, p.length);
}
