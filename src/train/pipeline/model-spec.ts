/**
 * A model as plain data, so that each stage actor can rebuild its own slice of it: the layer
 * kinds and sizes, and the initial parameter values by layer.
 */
import { InvalidArgumentError } from '../../common/index.js';
import { GELU, LayerNorm, Linear, ReLU } from '../layers.js';
import { Sequential, type Module } from '../module.js';
import type { LayerInfo } from './partition.js';
import type { Device } from '../tensor.js';

export type LayerSpec =
  | { type: 'linear'; in: number; out: number; bias: boolean }
  | { type: 'relu' }
  | { type: 'gelu' }
  | { type: 'layernorm'; features: number; eps: number };

/** The layers of a Sequential (of Linear, ReLU, GELU and LayerNorm), as data. */
export function describeLayers(model: Module): LayerSpec[] {
  if (!(model instanceof Sequential)) {
    throw new InvalidArgumentError(
      'a pipeline model must be a Sequential (for example from mlp([...])) whose layers can be split into stages',
      {
        context: { field: 'model' },
      },
    );
  }
  return model.layers.map((l, i) => {
    if (l instanceof Linear) return { type: 'linear', in: l.inFeatures, out: l.outFeatures, bias: l.bias !== null };
    if (l instanceof ReLU) return { type: 'relu' };
    if (l instanceof GELU) return { type: 'gelu' };
    if (l instanceof LayerNorm) return { type: 'layernorm', features: l.features, eps: l.eps };
    throw new InvalidArgumentError(
      `layer ${i} (${l.constructor.name}) cannot go into a pipeline stage: stages hold Linear, ReLU, GELU and LayerNorm layers`,
      {
        context: { field: `model.layers[${i}]` },
      },
    );
  });
}

export const layerName = (spec: LayerSpec, i: number): string =>
  spec.type === 'linear'
    ? `${i}:Linear(${spec.in}→${spec.out})`
    : spec.type === 'layernorm'
      ? `${i}:LayerNorm(${spec.features})`
      : `${i}:${spec.type === 'relu' ? 'ReLU' : 'GELU'}`;

/** What the partitioner balances: each layer's parameter count. */
export function layerInfos(specs: readonly LayerSpec[]): LayerInfo[] {
  return specs.map((s, i) => ({
    name: layerName(s, i),
    params: s.type === 'linear' ? s.in * s.out + (s.bias ? s.out : 0) : s.type === 'layernorm' ? 2 * s.features : 0,
  }));
}

/**
 * Follows the feature count through the layers, from `inputs`; throws naming the first layer
 * that does not fit what the one before it gives. Returns the output width of each layer.
 */
export function checkShapes(specs: readonly LayerSpec[], inputs: number): number[] {
  const widths: number[] = [];
  let width = inputs;
  specs.forEach((s, i) => {
    const wants = s.type === 'linear' ? s.in : s.type === 'layernorm' ? s.features : width;
    if (wants !== width) {
      const from =
        i === 0 ? `the data gives ${width} features` : `layer ${layerName(specs[i - 1]!, i - 1)} gives ${width}`;
      throw new InvalidArgumentError(`layer ${layerName(s, i)} expects ${wants} input features but ${from}`, {
        context: { field: `model.layers[${i}]` },
      });
    }
    if (s.type === 'linear') width = s.out;
    widths.push(width);
  });
  return widths;
}

/** Builds the layers again, on `device` (parameters are then loaded from the driver's values). */
export function buildLayers(specs: readonly LayerSpec[], device: Device = 'cpu'): Sequential {
  return new Sequential(
    ...specs.map((s) => {
      switch (s.type) {
        case 'linear':
          return new Linear(s.in, s.out, { bias: s.bias, seed: 1, device });
        case 'relu':
          return new ReLU();
        case 'gelu':
          return new GELU();
        case 'layernorm':
          return new LayerNorm(s.features, s.eps, device);
      }
    }),
  );
}

/** Parameter values of layers [from, to) of `model`, named as the stage's own Sequential names them. */
export function sliceParameters(model: Sequential, from: number, to: number): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (let i = from; i < to; i++) {
    for (const [name, p] of model.layers[i]!.namedParameters(`${i - from}.`)) out[name] = p.toFloat32Array();
  }
  return out;
}
