/**
 * The collective protocol on the shared framed-TCP header (transport/framing): magic 'TRCL',
 * version 2; the header's flags byte is the dtype (0 none, 1 f32, 2 f64) and its `word` the length
 * of the tag (utf-8) that sits between the header and the payload.
 *
 *   HELLO  payload: rank u32 BE, group size u32 BE, token utf-8
 *   DATA   tag, then one tensor's bytes
 *   ABORT  payload: utf-8 reason (the sender gave up on the group)
 */
import { encodeFrame, encodeHeader, type FrameProtocol, type FrameRule } from '../transport/index.js';

export const COLLECTIVE_MAGIC = 0x5452434c; // 'TRCL'
export const COLLECTIVE_VERSION = 2;

export const CollectiveFrame = { HELLO: 1, DATA: 2, ABORT: 3 } as const;
export type CollectiveFrame = (typeof CollectiveFrame)[keyof typeof CollectiveFrame];

const NAMES: Record<number, string> = { 1: 'HELLO', 2: 'DATA', 3: 'ABORT' };
export const MAX_TAG_BYTES = 4096;
export const MAX_CONTROL_BYTES = 64 * 1024;

export const COLLECTIVE: FrameProtocol = {
  name: 'collective',
  magic: COLLECTIVE_MAGIC,
  version: COLLECTIVE_VERSION,
  typeName: (t) => NAMES[t] ?? `unknown(${t})`,
  maxPrefixBytes: MAX_TAG_BYTES,
};

export const DTYPE_F32 = 1;
export const DTYPE_F64 = 2;
/** Bytes per element of a dtype; 0 when unknown. */
export const dtypeWidth = (dtype: number): number => (dtype === DTYPE_F32 ? 4 : dtype === DTYPE_F64 ? 8 : 0);
export const dtypeName = (dtype: number): string => (dtype === DTYPE_F64 ? 'Float64Array' : 'Float32Array');

const control: FrameRule = { streamed: false, maxBytes: MAX_CONTROL_BYTES };
/** The dialing side of a link reads HELLO, then DATA and ABORT. */
export const readerRules = (maxMessageBytes: number): Record<number, FrameRule> => ({
  [CollectiveFrame.HELLO]: control,
  [CollectiveFrame.DATA]: { streamed: true, maxBytes: maxMessageBytes },
  [CollectiveFrame.ABORT]: control,
});
/** The accepting side reads one HELLO and nothing after it. */
export const WRITER_RULES: Record<number, FrameRule> = { [CollectiveFrame.HELLO]: control };

const EMPTY = new Uint8Array(0);

export function controlFrame(type: CollectiveFrame, payload: Uint8Array = EMPTY): Buffer {
  return encodeFrame(COLLECTIVE, type, 0, payload);
}

/** The header of a DATA frame; the tag and the payload follow it. */
export function dataHeader(dtype: number, tagBytes: number, length: number): Buffer {
  return encodeHeader(COLLECTIVE, CollectiveFrame.DATA, tagBytes, length, dtype);
}
