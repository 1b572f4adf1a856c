/** save → load round trips bit-exact, the file is plain safetensors, and bad files are refused. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SerializationError } from '../../src/common/errors.js';
import {
  AdamW,
  loadCheckpoint,
  mlp,
  readTensorFile,
  saveCheckpoint,
  SGD,
  softmaxCrossEntropy,
  Tensor,
  type Optimizer,
  type Sequential,
} from '../../src/train/index.js';

const dir = await mkdtemp(path.join(os.tmpdir(), 'troupe-ckpt-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const bits = (m: Sequential) => m.parameters().map((p) => Buffer.from(p.toFloat32Array().buffer));

async function steps(model: Sequential, opt: Optimizer, n: number, seed: number): Promise<void> {
  const x = Tensor.from(
    Float32Array.from({ length: 32 * 4 }, (_, i) => Math.sin(i * 0.37 + seed)),
    [32, 4],
  );
  const y = Int32Array.from({ length: 32 }, (_, i) => (i * 7 + seed) % 3);
  for (let s = 0; s < n; s++) {
    const loss = await softmaxCrossEntropy(await model.forward(x), y);
    opt.zeroGrad();
    await loss.backward();
    await opt.step();
  }
}

describe('checkpoints', () => {
  for (const kind of ['AdamW', 'SGD'] as const) {
    it(`${kind}: weights and optimizer state round trip bit-exact, and training resumes identically`, async () => {
      const make = () => {
        const model = mlp([4, 16, 3], { seed: 5 });
        const opt =
          kind === 'AdamW'
            ? new AdamW(model.parameters(), { lr: 0.01 })
            : new SGD(model.parameters(), { lr: 0.05, momentum: 0.9 });
        return { model, opt };
      };
      const a = make();
      await steps(a.model, a.opt, 3, 1);
      // Odd bit patterns must survive too: -0, a subnormal, NaN with a payload, infinities.
      const w = a.model.parameters()[0]!;
      const data = w.toFloat32Array();
      const u32 = new Uint32Array(data.buffer);
      u32[0] = 0x80000000;
      u32[1] = 0x00000001;
      u32[2] = 0x7fc12345;
      u32[3] = 0xff800000;
      w.copyFrom(data);
      const file = path.join(dir, `${kind}.safetensors`);
      await saveCheckpoint(file, { model: a.model, optimizer: a.opt, metadata: { epoch: '3' } });

      const b = make();
      const meta = await loadCheckpoint(file, { model: b.model, optimizer: b.opt });
      expect(meta.epoch).toBe('3');
      expect(b.opt.stepCount).toBe(3);
      bits(a.model).forEach((buf, i) => expect(buf.equals(bits(b.model)[i]!)).toBe(true));
      for (const [slot, list] of Object.entries(a.opt.state().slots)) {
        list.forEach((t, i) =>
          expect(
            Buffer.from(t!.toFloat32Array().buffer).equals(
              Buffer.from(b.opt.state().slots[slot]![i]!.toFloat32Array().buffer),
            ),
          ).toBe(true),
        );
      }

      // Undo the odd values in both and train on: the two runs stay identical.
      for (const m of [a.model, b.model])
        m.parameters()[0]!.copyFrom(Float32Array.from(data, (v) => (Number.isFinite(v) ? v : 0)));
      await steps(a.model, a.opt, 4, 2);
      await steps(b.model, b.opt, 4, 2);
      bits(a.model).forEach((buf, i) => expect(buf.equals(bits(b.model)[i]!)).toBe(true));
    });
  }

  it('the file is readable without Troupe: 8-byte length, JSON header, raw little-endian data', async () => {
    const model = mlp([3, 2], { seed: 1 });
    const file = path.join(dir, 'plain.safetensors');
    await saveCheckpoint(file, { model });
    const buf = await readFile(file);
    const n = Number(buf.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
    expect(header.__metadata__.format).toBe('troupe-checkpoint');
    expect(header['model.0.weight']).toMatchObject({ dtype: 'F32', shape: [2, 3] });
    const [begin, end] = header['model.0.weight'].data_offsets;
    const raw = buf.subarray(8 + n + begin, 8 + n + end);
    const weights = Array.from({ length: 6 }, (_, i) => raw.readFloatLE(4 * i));
    expect(weights).toEqual([...model.parameters()[0]!.toFloat32Array()]);
  });

  it('truncated and malformed files are refused with SerializationError naming the problem', async () => {
    const file = path.join(dir, 'bad.safetensors');
    await writeFile(file, Buffer.from([1, 2, 3]));
    await expect(readTensorFile(file)).rejects.toThrow(SerializationError);
    const good = path.join(dir, 'good.safetensors');
    await saveCheckpoint(good, { model: mlp([3, 2], { seed: 1 }) });
    const bytes = await readFile(good);
    await writeFile(file, bytes.subarray(0, bytes.length - 4));
    await expect(readTensorFile(file)).rejects.toThrow(/data_offsets \[\d+, \d+\] do not hold \d+ elements/);
    const wrong = mlp([3, 4], { seed: 1 });
    await expect(loadCheckpoint(good, { model: wrong })).rejects.toThrow(
      /parameter 0.weight is \[4,3\] but the value has 6 elements/,
    );
  });
});
