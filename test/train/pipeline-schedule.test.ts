/** Pipeline schedules, their simulator and the layer partitioner: the theory, pinned. */
import { readFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/common/errors.js';
import {
  ScheduleError,
  gpipe,
  interleaved,
  makeSchedule,
  oneFOneB,
  parseAction,
  partition,
  scheduleFromText,
  scheduleToJson,
  simulate,
  theoreticalBubble,
} from '../../src/train/pipeline/index.js';
import { runCliToEnd } from '../fixtures/cluster.js';

const close = (a: number, b: number): void => expect(Math.abs(a - b)).toBeLessThan(1e-9);

describe('schedules', () => {
  it("GPipe's bubble with unit costs is (p − 1)/(m + p − 1), and every stage holds all m activations", () => {
    for (const p of [1, 2, 3, 4, 8]) {
      for (const m of [1, 4, 8, 16]) {
        const r = simulate(gpipe(p, m));
        close(r.bubble, (p - 1) / (m + p - 1));
        expect(r.makespan).toBe(2 * (m + p - 1));
        expect(r.peakInFlight).toEqual(new Array(p).fill(m));
      }
    }
  });

  it('1F1B has the same bubble with at most p − s microbatches in flight on stage s', () => {
    for (const p of [2, 3, 4, 8]) {
      for (const m of [1, 2, 4, 8, 16]) {
        const r = simulate(oneFOneB(p, m));
        close(r.bubble, theoreticalBubble(p, m));
        r.peakInFlight.forEach((n, s) => expect(n).toBe(Math.min(p - s, m)));
      }
    }
  });

  it('interleaving v chunks divides the bubble by about v (needs asynchronous sends; deadlocks under rendezvous)', () => {
    for (const [p, m] of [
      [2, 4],
      [4, 8],
      [4, 16],
    ] as const) {
      const plain = simulate(oneFOneB(p, m)).bubble;
      for (const v of [2, 4]) {
        const r = simulate(interleaved(p, m, v), { sendMode: 'buffered' });
        close(r.bubble, (p - 1) / (v * m + p - 1));
        expect(plain / r.bubble).toBeGreaterThan(v * 0.75);
      }
    }
    expect(() => simulate(interleaved(4, 8, 2))).toThrow(/deadlocks with rendezvous sends: rank 0 waits at 0SEND_F/);
  });

  it('uneven stage costs: the slowest stage sets the pace', () => {
    const r = simulate(oneFOneB(4, 8), { forward: [1, 1, 3, 1], backward: [2, 2, 6, 2] });
    expect(r.makespan).toBeGreaterThanOrEqual(8 * (3 + 6));
    expect(r.busy[2]).toBe(8 * 9);
  });

  it('text forms round-trip and name the rank, kind, microbatch and chunk', () => {
    expect(parseAction('3SEND_F1')).toEqual({ rank: 3, action: { kind: 'SEND_F', mb: 1, chunk: 0 } });
    expect(parseAction('1B4:1')).toEqual({ rank: 1, action: { kind: 'B', mb: 4, chunk: 1 } });
    expect(parseAction('0STEP').action.kind).toBe('STEP');
    expect(() => parseAction('2X0')).toThrow(InvalidArgumentError);
    expect(() => parseAction('2STEP4')).toThrow(/not an action/);
    const s = oneFOneB(2, 2);
    const json = scheduleToJson(s);
    expect(json.ranks[0]).toEqual([
      '0F0',
      '0SEND_F0',
      '0F1',
      '0SEND_F1',
      '0RECV_B0',
      '0B0',
      '0RECV_B1',
      '0B1',
      '0STEP',
    ]);
    expect(json.ranks[1]).toEqual([
      '1RECV_F0',
      '1F0',
      '1B0',
      '1RECV_F1',
      '1SEND_B0',
      '1F1',
      '1B1',
      '1SEND_B1',
      '1STEP',
    ]);
    expect(scheduleFromText('1f1b', json.ranks, 2)).toEqual({ ...s });
  });

  it('invalid generator parameters say which constraint failed', () => {
    expect(() => gpipe(0, 4)).toThrow(/gpipe: p must be an integer >= 1, got 0/);
    expect(() => oneFOneB(2, 1.5)).toThrow(/1f1b: m must be an integer >= 1/);
    expect(() => interleaved(3, 4, 2)).toThrow(/m must be a multiple of p/);
    expect(() => interleaved(2, 4, 1)).toThrow(/v must be an integer >= 2/);
    expect(() => makeSchedule('zigzag', 2, 2)).toThrow(/unknown schedule 'zigzag'/);
  });

  it('the simulator finds broken schedules: missing receive, backward before forward, step too early, twice-run microbatches, deadlock', () => {
    const problems = (ranks: string[][], m = 1): string[] => {
      try {
        simulate(scheduleFromText('custom', ranks, m));
      } catch (err) {
        expect(err).toBeInstanceOf(ScheduleError);
        return (err as ScheduleError).problems;
      }
      return [];
    };
    expect(
      problems([
        ['0F0', '0SEND_F0', '0RECV_B0', '0B0', '0STEP'],
        ['1F0', '1B0', '1SEND_B0', '1STEP'],
      ]),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/1F0 \(position 0\) runs before the activation of microbatch 0 is received/),
        expect.stringMatching(/0SEND_F0 is never received/),
      ]),
    );
    expect(problems([['0B0', '0F0', '0STEP']])).toEqual([
      expect.stringMatching(/0B0 \(position 0\) runs before the forward/),
    ]);
    expect(problems([['0F0', '0STEP', '0B0']])).toEqual([
      expect.stringMatching(/0STEP \(position 1\) comes before the rank's backward of microbatch 0/),
    ]);
    expect(problems([['0F0', '0F0', '0B0', '0STEP']])).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/0F0 appears twice/),
        expect.stringMatching(/runs F of microbatch 0 2 times/),
      ]),
    );
    expect(problems([['0F0', '0B0']])).toEqual([expect.stringMatching(/rank 0 steps its optimizer 0 times/)]);
    // Both stages send before they receive: fine when sends are buffered, a deadlock when they block.
    const crossed = [
      ['0F0', '0SEND_F0', '0F1', '0SEND_F1', '0RECV_B0', '0B0', '0RECV_B1', '0B1', '0STEP'],
      ['1RECV_F0', '1F0', '1B0', '1SEND_B0', '1RECV_F1', '1F1', '1B1', '1SEND_B1', '1STEP'],
    ];
    expect(problems(crossed, 2)).toEqual([
      expect.stringMatching(/deadlocks with rendezvous sends: rank 0 waits at 0SEND_F1, rank 1 waits at 1SEND_B0/),
    ]);
    expect(simulate(scheduleFromText('crossed', crossed, 2), { sendMode: 'buffered' }).makespan).toBeGreaterThan(0);
  });
});

describe('partitioner', () => {
  const layers = [
    { name: 'fc1', params: 784 * 512 + 512 },
    { name: 'relu1', params: 0 },
    { name: 'fc2', params: 512 * 512 + 512 },
    { name: 'relu2', params: 0 },
    { name: 'fc3', params: 512 * 10 + 10 },
  ];
  it('splits uniformly, balanced by parameters, or at given boundaries', () => {
    expect(partition(layers, 2, { method: 'uniform' })).toEqual([
      [0, 3],
      [3, 5],
    ]);
    const b = partition(layers, 2, { method: 'balanced' });
    const size = ([a, z]: [number, number]) => layers.slice(a, z).reduce((t, l) => t + l.params, 0);
    expect(Math.max(...b.map(size))).toBe(784 * 512 + 512); // fc1 alone: no split does better
    expect(b[0]![0]).toBe(0);
    expect(b[1]![1]).toBe(5);
    const even = Array.from({ length: 8 }, (_, i) => ({ name: `l${i}`, params: i === 0 ? 70 : 10 }));
    expect(partition(even, 2, { method: 'balanced' })).toEqual([
      [0, 1],
      [1, 8],
    ]);
    expect(partition(layers, 3, { method: 'explicit', boundaries: [2, 4] })).toEqual([
      [0, 2],
      [2, 4],
      [4, 5],
    ]);
  });
  it('an impossible split is an error naming the layers', () => {
    expect(() => partition(layers, 6)).toThrow(/cannot split 5 layer\(s\) into 6 stages.*fc1, relu1, fc2, relu2, fc3/);
    expect(() => partition(layers, 3, { method: 'explicit', boundaries: [3, 3] })).toThrow(
      /stage 1 would run from layer 3 \(relu2\)/,
    );
    expect(() => partition(layers, 2, { method: 'explicit', boundaries: [] })).toThrow(/must list 1 layer index/);
  });
});

describe('troupe pipeline show', () => {
  it('prints the grid, the JSON and an SVG timeline; bad parameters exit 2 naming the constraint', async () => {
    const grid = await runCliToEnd(['pipeline', 'show', '--schedule', '1f1b', '-p', '4', '-m', '8']);
    expect(grid.code).toBe(0);
    expect(grid.stdout).toMatch(/^r3 +\. +\. +\. +F0 +B0 +F1/m);
    expect(grid.stdout).toMatch(/bubble 27\.3%/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'troupe-svg-'));
    const file = path.join(dir, 'gpipe.svg');
    const json = await runCliToEnd([
      'pipeline',
      'show',
      '--schedule',
      'gpipe',
      '-p',
      '2',
      '-m',
      '3',
      '--json',
      '--svg',
      file,
    ]);
    const parsed = JSON.parse(json.stdout) as { ranks: string[][]; bubble: number };
    expect(parsed.ranks[1]![0]).toBe('1RECV_F0');
    close(parsed.bubble, 1 / 4);
    expect(readFileSync(file, 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
    const bad = await runCliToEnd(['pipeline', 'show', '--schedule', 'interleaved', '-p', '3', '-m', '4']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/m must be a multiple of p/);
  }, 60_000);
});
