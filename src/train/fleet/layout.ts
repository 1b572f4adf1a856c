/**
 * Where each parameter lives in a fleet: the model's parameters as one flat vector (in
 * `namedParameters()` order) cut into S contiguous ranges balanced by bytes (equal up to one
 * element; a tensor may be cut across shards), and the copies between full tensors and shards.
 */
import { InvalidArgumentError } from '../../common/index.js';
import type { Module } from '../module.js';
import type { ParamLayout, ParamSlice } from './protocol.js';

function elements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Cuts `params` (in order) into `shards` contiguous ranges whose sizes differ by at most one element. */
export function layoutParameters(params: Array<{ name: string; shape: number[] }>, shards: number): ParamLayout {
  const total = params.reduce((a, p) => a + elements(p.shape), 0);
  if (!Number.isInteger(shards) || shards < 1 || shards > total) {
    throw new InvalidArgumentError(
      `shards must be an integer from 1 to the parameter elements (${total}), got ${String(shards)}`,
      { context: { field: 'shards' } },
    );
  }
  const base = Math.floor(total / shards);
  const extra = total % shards;
  const out: ParamSlice[][] = [];
  let p = 0;
  let inParam = 0;
  for (let k = 0; k < shards; k++) {
    let want = base + (k < extra ? 1 : 0);
    const slices: ParamSlice[] = [];
    while (want > 0) {
      const param = params[p]!;
      const left = elements(param.shape) - inParam;
      const take = Math.min(left, want);
      if (take > 0) slices.push({ name: param.name, offset: inParam, length: take });
      want -= take;
      inParam += take;
      if (inParam === elements(param.shape)) {
        p++;
        inParam = 0;
      }
    }
    out.push(slices);
  }
  return { params: params.map((q) => ({ name: q.name, shape: [...q.shape] })), shards: out };
}

/** The layout of a Module's parameters (names and shapes from `namedParameters()`). */
export function layoutOf(model: Module, shards: number): ParamLayout {
  return layoutParameters(
    model.namedParameters().map(([name, t]) => ({ name, shape: [...t.shape] })),
    shards,
  );
}

/** Elements of shard k's vector. */
export function shardLength(layout: ParamLayout, k: number): number {
  return sliceList(layout, k).reduce((a, s) => a + s.length, 0);
}

function sliceList(layout: ParamLayout, k: number): ParamSlice[] {
  const list = layout.shards[k];
  if (!list) {
    throw new InvalidArgumentError(`shard ${k} is not in the layout (0..${layout.shards.length - 1})`, {
      context: { field: 'shard' },
    });
  }
  return list;
}

function full(byName: Map<string, Float32Array>, layout: ParamLayout, name: string): Float32Array {
  const a = byName.get(name);
  const shape = layout.params.find((q) => q.name === name)?.shape ?? [];
  if (!a || a.length !== elements(shape)) {
    throw new InvalidArgumentError(`parameter '${name}' needs a Float32Array of ${elements(shape)} elements`, {
      context: { field: name },
    });
  }
  return a;
}

/** Shard k's vector: its slices of the full parameters, concatenated. */
export function gather(layout: ParamLayout, k: number, byName: Map<string, Float32Array>): Float32Array {
  const slices = sliceList(layout, k);
  const out = new Float32Array(shardLength(layout, k));
  let at = 0;
  for (const s of slices) {
    out.set(full(byName, layout, s.name).subarray(s.offset, s.offset + s.length), at);
    at += s.length;
  }
  return out;
}

/** Writes shard k's `values` into the full-size arrays of `into`. */
export function scatter(layout: ParamLayout, k: number, values: Float32Array, into: Map<string, Float32Array>): void {
  const slices = sliceList(layout, k);
  const n = shardLength(layout, k);
  if (values.length !== n) {
    throw new InvalidArgumentError(`shard ${k} values must have ${n} elements, got ${values.length}`, {
      context: { field: 'values' },
    });
  }
  let at = 0;
  for (const s of slices) {
    full(into, layout, s.name).set(values.subarray(at, at + s.length), s.offset);
    at += s.length;
  }
}
