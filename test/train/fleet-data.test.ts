/**
 * Fleet datasets: the constructors (arrays, generator, .npy, CSV, tensor file), the .npy reader
 * on files numpy wrote (test/fixtures/data/make-data-fixtures.py) including malformed ones, and
 * checkDataset refusing non-integer labels naming the field.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsvDataset } from '../../src/train/data/csv.js';
import { checkDataset, fromArrays, fromGenerator, tensorFileDataset } from '../../src/train/data/dataset.js';
import { readNpy, readNpyDataset } from '../../src/train/data/npy.js';
import { writeTensorFile } from '../../src/train/tensor-file.js';

const f = (n: string) => new URL(`../fixtures/data/${n}`, import.meta.url).pathname;
const X = [0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.25, 2.5, 2.75];

describe('datasets', () => {
  it('fromArrays and fromGenerator build the same dataset; classes default to max label + 1', () => {
    const a = fromArrays(X, [0, 2, 1, 2], { features: 3 });
    const g = fromGenerator(4, (i) => ({ x: X.slice(i * 3, i * 3 + 3), y: [0, 2, 1, 2][i]! }));
    expect(a).toEqual(g);
    expect(a.classes).toBe(3);
    expect(a.length).toBe(4);
    expect(() => fromArrays(X, [0, 1, 2], { features: 3 })).toThrow(/data.x: has 12 values for 3 labels/);
    expect(() => fromArrays(X, [0, 1, 2, 3], { features: 3, classes: 2 })).toThrow(/data.y: sample 2 has label 2/);
  });

  it('checkDataset refuses a Float32Array of labels with 0.5, naming field.y, and non-finite x', () => {
    const d = fromArrays(X, [0, 2, 1, 2], { features: 3 });
    expect(() => checkDataset({ ...d, y: new Float32Array([0, 0.5, 1, 2]) }, 'train')).toThrow(
      /train\.y: labels must be integers, sample 1 has 0.5/,
    );
    const x = d.x.slice();
    x[4] = Number.NaN;
    expect(() => checkDataset({ ...d, x }, 'train')).toThrow(/train\.x: sample 1 feature 1 is NaN/);
  });

  it('reads .npy files numpy wrote: f4, f8, u1, i8, i2, version 2', async () => {
    const want = fromArrays(X, [0, 2, 1, 2], { features: 3 });
    expect(await readNpyDataset(f('x-f4.npy'), f('y-i8.npy'))).toEqual(want);
    expect(await readNpyDataset(f('x-f8.npy'), f('y-i2.npy'))).toEqual(want);
    expect(await readNpyDataset(f('x-v2.npy'), f('y-i8.npy'))).toEqual(want);
    const u1 = await readNpy(f('x-u1.npy'));
    expect(u1.shape).toEqual([4, 3]);
    expect([...u1.data]).toEqual(X.map((v) => v * 4));
  });

  it('refuses fortran order, big-endian, object dtype, truncated data and fractional labels, naming the file', async () => {
    await expect(readNpy(f('x-fortran.npy'))).rejects.toThrow(/x-fortran\.npy: fortran_order arrays are not supported/);
    await expect(readNpy(f('x-big.npy'))).rejects.toThrow(/x-big\.npy: big-endian dtype '>f4'/);
    await expect(readNpy(f('x-object.npy'))).rejects.toThrow(/x-object\.npy: dtype '\|O' is not supported/);
    await expect(readNpy(f('x-truncated.npy'))).rejects.toThrow(
      /x-truncated\.npy: truncated data: .* needs 48 bytes, the file has 43/,
    );
    await expect(readNpyDataset(f('x-f4.npy'), f('y-f4-half.npy'))).rejects.toThrow(/y-f4-half\.npy: label 1 is 0.5/);
  });

  it('reads CSV by label name or index; a non-numeric cell is refused naming row and column', async () => {
    const d = await readCsvDataset(f('data.csv'), { label: 'label' });
    expect([...d.x]).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect([...d.y]).toEqual([2, 0, 1]);
    expect(await readCsvDataset(f('data.csv'), { label: 2, header: true })).toEqual(d);
    await expect(readCsvDataset(f('bad.csv'), { label: 'label' })).rejects.toThrow(
      /bad\.csv: row 3 column 1 \('b'\): 'oops' is not a number/,
    );
  });

  it('reads a tensor file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'fleet-data-')), 'd.tensors');
    const x = new Float32Array(X);
    await writeTensorFile(
      path,
      new Map([
        ['images', { dtype: 'float32' as const, shape: [4, 3], data: x }],
        ['labels', { dtype: 'int32' as const, shape: [4], data: new Int32Array([0, 2, 1, 2]) }],
      ]),
    );
    expect(await tensorFileDataset(path, { x: 'images', y: 'labels' })).toEqual(
      fromArrays(X, [0, 2, 1, 2], { features: 3 }),
    );
    await expect(tensorFileDataset(path, { x: 'nope', y: 'labels' })).rejects.toThrow(/has no tensor 'nope'/);
  });
});
