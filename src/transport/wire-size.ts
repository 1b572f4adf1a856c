/**
 * Upper-bound estimates of a message's protobuf size, so that batches are split before gRPC
 * refuses them: a refused message fails its whole stream, and with it every call or creation
 * that shared the stream, not only the one that was too large.
 */
import { MessageTooLargeError, type ErrorContext } from '../common/index.js';

// Tag, length prefix and map-entry framing of one field, generously: the estimate must not be low.
const FIELD_OVERHEAD = 12;

/** An upper bound on the encoded size of a proto-loader style object. */
export function approxWireBytes(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'string') return Buffer.byteLength(value) + FIELD_OVERHEAD;
  if (typeof value === 'number' || typeof value === 'bigint') return 11 + FIELD_OVERHEAD;
  if (typeof value === 'boolean') return 1 + FIELD_OVERHEAD;
  if (value instanceof Uint8Array) return value.length + FIELD_OVERHEAD;
  let total = FIELD_OVERHEAD;
  if (Array.isArray(value)) {
    for (const v of value) total += approxWireBytes(v);
    return total;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) total += Buffer.byteLength(k) + approxWireBytes(v);
  }
  return total;
}

/** Room for the batch message itself around its items. */
export const BATCH_OVERHEAD = 64;

/** Splits items into batches whose estimated sizes stay within `maxBytes` (an oversize item goes alone). */
export function splitBySize<T>(items: T[], sizes: number[], maxBytes: number): T[][] {
  const out: T[][] = [];
  let batch: T[] = [];
  let bytes = BATCH_OVERHEAD;
  items.forEach((item, i) => {
    const size = sizes[i]!;
    if (batch.length > 0 && bytes + size > maxBytes) {
      out.push(batch);
      batch = [];
      bytes = BATCH_OVERHEAD;
    }
    batch.push(item);
    bytes += size;
  });
  if (batch.length > 0) out.push(batch);
  return out;
}

/** True when one item of `size` bytes cannot travel in a message of at most `maxBytes`. */
export function tooLarge(size: number, maxBytes: number): boolean {
  return size + BATCH_OVERHEAD > maxBytes;
}

export function messageTooLarge(
  what: string,
  size: number,
  maxBytes: number,
  context: ErrorContext = {},
): MessageTooLargeError {
  return new MessageTooLargeError(
    `${what} is about ${size} bytes, above the message limit of ${maxBytes} bytes; split it into smaller values, or raise maxMessageBytes on the cluster and in connect()`,
    { context: { ...context, sizeBytes: String(size), maxMessageBytes: String(maxBytes) } },
  );
}
