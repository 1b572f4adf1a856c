import { Packr } from 'msgpackr';
import { SerializationError } from '../common/index.js';
// Registers the ObjectRef msgpack extension in every process that encodes or decodes calls.
import './ref.js';

// Records are off: encoder and decoder live in different processes with no shared structures.
const packr = new Packr({ useRecords: false, moreTypes: true, int64AsType: 'number' });

/** Encodes a value for an actor call (arguments array or return value). */
export function encode(value: unknown, what = 'value'): Buffer {
  try {
    return packr.pack(value);
  } catch (err) {
    throw new SerializationError(`cannot serialize ${what}: ${(err as Error).message}`, { cause: err });
  }
}

export function decode<T = unknown>(bytes: Uint8Array, what = 'value'): T {
  if (bytes.length === 0) return undefined as T;
  try {
    return packr.unpack(bytes) as T;
  } catch (err) {
    throw new SerializationError(`cannot deserialize ${what}: ${(err as Error).message}`, { cause: err });
  }
}
