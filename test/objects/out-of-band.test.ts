import { describe, expect, it } from 'vitest';
import { SerializationError } from '../../src/common/errors.js';
import { join, split } from '../../src/objects/out-of-band.js';

/** What the data plane delivers: each part in its own fresh, exactly sized ArrayBuffer. */
const received = (parts: Uint8Array[]): Uint8Array[] => parts.map((p) => new Uint8Array(p));

describe('out-of-band serialization of large binary values', () => {
  it('takes large arrays of every kind out of the envelope and gives back the same types and contents', () => {
    const n = 40_000;
    const value = {
      f32: Float32Array.from({ length: n }, (_, i) => i / 3),
      f64: Float64Array.from({ length: n }, (_, i) => i * Math.PI),
      i8: Int8Array.from({ length: 70_000 }, (_, i) => (i % 256) - 128),
      u16: Uint16Array.from({ length: n }, (_, i) => i),
      i32: Int32Array.from({ length: n }, (_, i) => -i),
      u32: Uint32Array.from({ length: n }, (_, i) => i * 7),
      big: BigInt64Array.from({ length: 10_000 }, (_, i) => BigInt(i) * 3n),
      buf: Buffer.alloc(100_000, 9),
      nested: [{ deep: new Set([Float32Array.from({ length: n }, () => 1)]) }],
      small: Float32Array.of(1, 2, 3),
      text: 'hello',
      count: 7,
    };
    const { envelope, buffers } = split(value);
    expect(buffers).toHaveLength(9);
    expect(envelope.length).toBeLessThan(2048); // only placeholders and small values stayed in band
    const back = join<typeof value>(envelope, received(buffers));
    for (const key of ['f32', 'f64', 'i8', 'u16', 'i32', 'u32', 'big'] as const) {
      expect(back[key].constructor).toBe(value[key].constructor);
      expect(back[key]).toEqual(value[key]);
      expect(back[key].byteOffset % back[key].BYTES_PER_ELEMENT).toBe(0);
    }
    expect(Buffer.isBuffer(back.buf)).toBe(true);
    expect(back.buf.equals(value.buf)).toBe(true);
    expect([...back.nested[0]!.deep][0]).toEqual([...value.nested[0]!.deep][0]);
    expect(back.small).toEqual(value.small);
    expect(back.text).toBe('hello');
    expect(back.count).toBe(7);
  });

  it('hands out views of the caller memory, not copies, and copies on receipt only when unaligned', () => {
    const arr = new Float64Array(20_000).fill(2);
    const { envelope, buffers } = split({ arr });
    expect(buffers[0]!.buffer).toBe(arr.buffer);
    // Bytes that landed at an odd offset still come back as a correct Float64Array.
    const odd = new Uint8Array(buffers[0]!.byteLength + 1).subarray(1);
    odd.set(buffers[0]!);
    const back = join<{ arr: Float64Array }>(envelope, [odd]);
    expect(back.arr).toEqual(arr);
  });

  it('names what is wrong with bad input', () => {
    const { envelope } = split({ a: new Float32Array(20_000) });
    expect(() => join(envelope, [])).toThrow(SerializationError);
    expect(() => join(envelope, [new Uint8Array(10)])).toThrow(/has 10 bytes, expected 20000 × 4 for a Float32Array/);
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(() => split(loop)).toThrow(/contains itself/);
  });
});
