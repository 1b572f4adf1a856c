/**
 * How one serialized value is laid out as an object on the data plane. The bytes are:
 *
 *   0  u32 LE  length M of the manifest
 *   4  u32 LE  layout version (1)
 *   8  manifest: msgpack [envelope (bin), [byte length of each part]]
 *      zero padding to a multiple of 8
 *      part 0, zero padding to a multiple of 8, part 1, ...
 *
 * The envelope is the msgpack of the value with its large binary parts replaced by placeholders
 * (see transport/out-of-band.ts). The parts are never concatenated in memory on the sending side:
 * `segments` lists views of them for the data plane to write one after another. On the receiving
 * side the whole object lands in one fresh ArrayBuffer, so every part starts 8-byte aligned and
 * comes back as a view (no copy) of the type it was sent as.
 */
import { SerializationError } from '../common/index.js';
import { decode, encode } from './codec.js';
import type { SplitValue } from './out-of-band.js';

const VERSION = 1;
const HEADER_BYTES = 8;
const ZEROS = new Uint8Array(8);

const pad = (n: number): number => (8 - (n % 8)) % 8;

/** The segments of an object, to be sent back to back, and its total size. */
export interface ObjectSegments {
  segments: Uint8Array[];
  size: number;
}

export function segments(value: SplitValue): ObjectSegments {
  const manifest = encode([value.envelope, value.buffers.map((b) => b.byteLength)], 'an object manifest');
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32LE(manifest.length, 0);
  header.writeUInt32LE(VERSION, 4);
  const out: Uint8Array[] = [header, manifest];
  let size = HEADER_BYTES + manifest.length;
  const push = (b: Uint8Array): void => {
    const p = pad(size);
    if (p > 0) {
      out.push(ZEROS.subarray(0, p));
      size += p;
    }
    if (b.byteLength > 0) out.push(b);
    size += b.byteLength;
  };
  for (const b of value.buffers) push(b);
  return { segments: out, size };
}

/** The envelope and views of the parts of an object received as one buffer. */
export function parse(bytes: Uint8Array, what: string): SplitValue {
  if (bytes.byteLength < HEADER_BYTES)
    throw new SerializationError(`${what} is ${bytes.byteLength} bytes, shorter than its header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const m = view.getUint32(0, true);
  const version = view.getUint32(4, true);
  if (version !== VERSION)
    throw new SerializationError(`${what} has layout version ${version}; this process reads version ${VERSION}`);
  if (HEADER_BYTES + m > bytes.byteLength)
    throw new SerializationError(`${what} announces a ${m}-byte manifest but has ${bytes.byteLength} bytes`);
  const manifest = decode<unknown>(bytes.subarray(HEADER_BYTES, HEADER_BYTES + m), `the manifest of ${what}`);
  if (!Array.isArray(manifest) || !(manifest[0] instanceof Uint8Array) || !Array.isArray(manifest[1])) {
    throw new SerializationError(`${what} has a malformed manifest`);
  }
  const [envelope, lengths] = manifest as [Uint8Array, unknown[]];
  const buffers: Uint8Array[] = [];
  let at = HEADER_BYTES + m;
  for (const len of lengths) {
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 0)
      throw new SerializationError(`${what} has a malformed part length`);
    at += pad(at);
    if (at + len > bytes.byteLength)
      throw new SerializationError(
        `${what} is truncated: part ${buffers.length} ends past its ${bytes.byteLength} bytes`,
      );
    buffers.push(bytes.subarray(at, at + len));
    at += len;
  }
  return { envelope: Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength), buffers };
}
