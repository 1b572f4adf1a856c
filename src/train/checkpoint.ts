/**
 * Saving and loading a model's weights and an optimizer's state in one file (see tensor-file.ts
 * for the layout). Names in the file:
 *   model.<parameter name>          each parameter (names from Module.namedParameters)
 *   optimizer.<slot>.<parameter>    each optimizer state tensor (SGD: momentum; AdamW: m, v)
 * and in the metadata: format = "troupe-checkpoint", version = "1", optimizer = JSON of
 * { type, step, hyper, paramSteps }, plus the caller's own string metadata.
 */
import { InvalidArgumentError, SerializationError } from '../common/index.js';
import type { Module } from './module.js';
import type { Optimizer, OptimizerState } from './optim.js';
import { Tensor, type Parameter } from './tensor.js';
import { readTensorFile, writeTensorFile, type StoredTensor } from './tensor-file.js';

export interface CheckpointParts {
  model?: Module;
  optimizer?: Optimizer;
  /** Extra string metadata stored in the header (epoch, dataset, ...). */
  metadata?: Record<string, string>;
}

const FORMAT = 'troupe-checkpoint';
const VERSION = '1';

function stored(t: Tensor): StoredTensor {
  return { dtype: t.dtype, shape: [...t.shape], data: t.toArray() };
}

/** Names of the optimizer's parameters: the model's names where known, else their position. */
function paramNames(optimizer: Optimizer, model?: Module): string[] {
  const byParam = new Map<Parameter, string>(model?.namedParameters().map(([n, p]) => [p, n]) ?? []);
  return optimizer.params.map((p, i) => byParam.get(p) ?? String(i));
}

export async function saveCheckpoint(path: string, parts: CheckpointParts): Promise<void> {
  const tensors = new Map<string, StoredTensor>();
  const metadata: Record<string, string> = { ...(parts.metadata ?? {}), format: FORMAT, version: VERSION };
  for (const [name, p] of parts.model?.namedParameters() ?? []) tensors.set(`model.${name}`, stored(p));
  if (parts.optimizer) {
    const s = parts.optimizer.state();
    const names = paramNames(parts.optimizer, parts.model);
    for (const [slot, list] of Object.entries(s.slots)) {
      list.forEach((t, i) => {
        if (t) tensors.set(`optimizer.${slot}.${names[i]}`, stored(t));
      });
    }
    metadata.optimizer = JSON.stringify({
      type: s.type,
      step: s.step,
      hyper: s.hyper,
      paramSteps: s.paramSteps,
      slots: Object.keys(s.slots),
    });
  }
  await writeTensorFile(path, tensors, metadata);
}

/** Loads into `parts.model` and `parts.optimizer` what the file holds for them; returns its metadata. */
export async function loadCheckpoint(path: string, parts: CheckpointParts): Promise<Record<string, string>> {
  const file = await readTensorFile(path);
  if (file.metadata.format !== FORMAT)
    throw new SerializationError(`${path} is not a Troupe checkpoint (format is ${file.metadata.format ?? 'missing'})`);
  if (parts.model) {
    const values = new Map<string, Float32Array>();
    for (const [name, t] of file.tensors) {
      if (name.startsWith('model.') && t.data instanceof Float32Array) values.set(name.slice(6), t.data);
    }
    parts.model.loadParameters(values);
  }
  if (parts.optimizer) {
    if (!file.metadata.optimizer) throw new InvalidArgumentError(`${path} holds no optimizer state`);
    const meta = JSON.parse(file.metadata.optimizer) as Omit<OptimizerState, 'slots'> & { slots: string[] };
    const names = paramNames(parts.optimizer, parts.model);
    const slots: OptimizerState['slots'] = {};
    const made: Tensor[] = [];
    for (const slot of meta.slots) {
      slots[slot] = names.map((name) => {
        const t = file.tensors.get(`optimizer.${slot}.${name}`);
        if (!t) return null;
        const tensor = Tensor.from(t.data, t.shape, { dtype: t.dtype });
        made.push(tensor);
        return tensor;
      });
    }
    try {
      parts.optimizer.loadState({
        type: meta.type,
        step: meta.step,
        hyper: meta.hyper,
        slots,
        ...(meta.paramSteps ? { paramSteps: meta.paramSteps } : {}),
      });
    } finally {
      for (const t of made) t.free();
    }
  }
  return file.metadata;
}
