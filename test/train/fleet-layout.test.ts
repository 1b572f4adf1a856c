import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/index.js';
import { gather, layoutParameters, scatter, shardLength } from '../../src/train/fleet/layout.js';

const params = [
  { name: 'w', shape: [2, 3] },
  { name: 'b', shape: [3] },
  { name: 'v', shape: [1] },
];

describe('layoutParameters', () => {
  it('cuts the flat vector into ranges equal up to one element, a tensor split across shards', () => {
    const l = layoutParameters(params, 3);
    expect(l.shards).toEqual([
      [{ name: 'w', offset: 0, length: 4 }],
      [
        { name: 'w', offset: 4, length: 2 },
        { name: 'b', offset: 0, length: 1 },
      ],
      [
        { name: 'b', offset: 1, length: 2 },
        { name: 'v', offset: 0, length: 1 },
      ],
    ]);
    expect([0, 1, 2].map((k) => shardLength(l, k))).toEqual([4, 3, 3]);
  });

  it('refuses shards < 1 or more than the elements, naming shards', () => {
    for (const s of [0, 11, 1.5]) {
      try {
        layoutParameters(params, s);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidArgumentError);
        expect((e as InvalidArgumentError).field).toBe('shards');
      }
    }
    expect(layoutParameters(params, 10).shards.every((s) => s.length === 1 && s[0]!.length === 1)).toBe(true);
  });

  it('gather then scatter round-trips every shard', () => {
    const l = layoutParameters(params, 3);
    const src = new Map([
      ['w', Float32Array.from([1, 2, 3, 4, 5, 6])],
      ['b', Float32Array.from([7, 8, 9])],
      ['v', Float32Array.from([10])],
    ]);
    expect([...gather(l, 1, src)]).toEqual([5, 6, 7]);
    const dst = new Map([
      ['w', new Float32Array(6)],
      ['b', new Float32Array(3)],
      ['v', new Float32Array(1)],
    ]);
    for (let k = 0; k < 3; k++) scatter(l, k, gather(l, k, src), dst);
    expect(dst).toEqual(src);
    expect(() => scatter(l, 0, new Float32Array(3), dst)).toThrow(/values must have 4/);
  });
});
