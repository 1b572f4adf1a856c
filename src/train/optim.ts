/**
 * Optimizers as fused native updates (one pass over each parameter): SGD with momentum, Nesterov
 * and weight decay, and AdamW, both with PyTorch's update rules; and global-norm clipping.
 */
import { nativeAddon } from '../../native/index.js';
import { InvalidArgumentError } from '../common/index.js';
import { z } from 'zod';
import { checkOptions, field, type Fields } from '../options/index.js';
import { Tensor, type Parameter } from './tensor.js';

/** The state an optimizer saves: per-parameter tensors by slot name, and plain settings. */
export interface OptimizerState {
  type: string;
  step: number;
  hyper: Record<string, number | boolean>;
  /** slots[slot][i] is the state of parameter i, or null where it has none yet. */
  slots: Record<string, Array<Tensor | null>>;
  /** Steps taken by each parameter, where the optimizer counts them per parameter (AdamW). */
  paramSteps?: number[];
}

export abstract class Optimizer {
  readonly params: readonly Parameter[];
  /** Steps taken. */
  stepCount = 0;

  constructor(params: Iterable<Parameter>) {
    this.params = [...params];
    if (this.params.length === 0) throw new InvalidArgumentError('an optimizer needs at least one parameter');
  }

  /** Applies one update to every parameter that has a gradient. */
  abstract step(): Promise<void>;

  /** Frees and clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) {
      p.grad?.free();
      p.grad = null;
    }
  }

  /** The optimizer's state, for checkpoints (tensors are the live ones, not copies). */
  abstract state(): OptimizerState;

  /** Restores state from `s` (copies the data into this optimizer's own tensors). */
  abstract loadState(s: OptimizerState): void;

  protected withGrads(): number[] {
    return this.params.flatMap((p, i) => (p.grad ? [i] : []));
  }

  protected checkState(s: OptimizerState, type: string, slots: string[]): void {
    if (s.type !== type) throw new InvalidArgumentError(`optimizer state is for ${s.type}, not ${type}`);
    for (const slot of slots) {
      const list = s.slots[slot];
      if (!list || list.length !== this.params.length) {
        throw new InvalidArgumentError(
          `optimizer state slot '${slot}' must have one entry per parameter (${this.params.length})`,
        );
      }
    }
  }

  /** A copy of `src` into a new tensor shaped like parameter i (or null). */
  protected adopt(src: Tensor | null, i: number, slot: string): Tensor | null {
    if (!src) return null;
    const p = this.params[i]!;
    if (src.size !== p.size) {
      throw new InvalidArgumentError(`optimizer state ${slot}[${i}] has ${src.size} elements, parameter has ${p.size}`);
    }
    return Tensor.from(src.toFloat32Array(), p.shape, { device: p.device });
  }
}

export interface SgdOptions {
  /** Learning rate. Required. */
  lr: number;
  /** Momentum factor. Default 0 (plain SGD). */
  momentum?: number;
  /** Dampening of the momentum. Default 0. */
  dampening?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
}

const nonNegative = field(z.number().finite().min(0), 'a finite number >= 0');
const positive = field(z.number().finite().positive(), 'a finite number > 0');
const unit = field(z.number().min(0).lt(1), 'a number in [0, 1)');
const flag = field(z.boolean(), 'a boolean');

const SGD_RULES: Fields<SgdOptions> = {
  lr: positive,
  momentum: unit,
  dampening: unit,
  weightDecay: nonNegative,
  nesterov: flag,
};

export class SGD extends Optimizer {
  readonly options: Required<SgdOptions>;
  #buffers: Array<Tensor | null>;

  constructor(params: Iterable<Parameter>, options: SgdOptions) {
    super(params);
    const o = checkOptions<SgdOptions>(options, SGD_RULES, { what: 'SGD', prefix: 'SGD ' });
    if (o.lr === undefined) throw new InvalidArgumentError('SGD lr is required', { context: { field: 'lr' } });
    this.options = {
      lr: o.lr,
      momentum: o.momentum ?? 0,
      dampening: o.dampening ?? 0,
      weightDecay: o.weightDecay ?? 0,
      nesterov: o.nesterov ?? false,
    };
    if (this.options.nesterov && (this.options.momentum <= 0 || this.options.dampening !== 0)) {
      throw new InvalidArgumentError('SGD nesterov needs momentum > 0 and dampening 0', {
        context: { field: 'nesterov' },
      });
    }
    this.#buffers = this.params.map(() => null);
  }

  async step(): Promise<void> {
    const n = nativeAddon();
    const o = this.options;
    const idx = this.withGrads();
    const common = {
      lr: o.lr,
      momentum: o.momentum,
      dampening: o.dampening,
      weightDecay: o.weightDecay,
      nesterov: o.nesterov,
    };
    if (o.momentum === 0) {
      await n.sgdStep(
        idx.map((i) => this.params[i]!.handle),
        idx.map((i) => this.params[i]!.grad!.handle),
        null,
        { ...common, first: false },
      );
    } else {
      // Parameters whose buffer starts now (it becomes the gradient) and those that have one, split
      // before either group steps: the first group's new buffers must not put it in the second.
      const starting = idx.filter((i) => this.#buffers[i] === null);
      const running = idx.filter((i) => this.#buffers[i] !== null);
      for (const [first, group] of [
        [true, starting],
        [false, running],
      ] as const) {
        if (group.length === 0) continue;
        for (const i of group)
          this.#buffers[i] ??= Tensor.zeros(this.params[i]!.shape, { device: this.params[i]!.device });
        await n.sgdStep(
          group.map((i) => this.params[i]!.handle),
          group.map((i) => this.params[i]!.grad!.handle),
          group.map((i) => this.#buffers[i]!.handle),
          { ...common, first },
        );
      }
    }
    this.stepCount++;
  }

  state(): OptimizerState {
    return { type: 'SGD', step: this.stepCount, hyper: { ...this.options }, slots: { momentum: [...this.#buffers] } };
  }

  loadState(s: OptimizerState): void {
    this.checkState(s, 'SGD', ['momentum']);
    const buffers = s.slots.momentum!.map((t, i) => this.adopt(t, i, 'momentum'));
    for (const b of this.#buffers) b?.free();
    this.#buffers = buffers;
    this.stepCount = s.step;
  }
}

export interface AdamWOptions {
  /** Learning rate. Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment estimates. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay. Default 0.01 (PyTorch's AdamW default). */
  weightDecay?: number;
}

const ADAMW_RULES: Fields<AdamWOptions> = {
  lr: positive,
  betas: field(unit.schema.array().length(2), 'two numbers in [0, 1)'),
  eps: positive,
  weightDecay: nonNegative,
};

export class AdamW extends Optimizer {
  readonly options: Required<AdamWOptions>;
  #m: Array<Tensor | null>;
  #v: Array<Tensor | null>;
  /** Steps each parameter has taken (bias correction counts per parameter, as in PyTorch). */
  #steps: number[];

  constructor(params: Iterable<Parameter>, options: AdamWOptions = {}) {
    super(params);
    const o = checkOptions<AdamWOptions>(options, ADAMW_RULES, { what: 'AdamW', prefix: 'AdamW ' });
    this.options = {
      lr: o.lr ?? 1e-3,
      betas: o.betas ?? [0.9, 0.999],
      eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? 0.01,
    };
    this.#m = this.params.map(() => null);
    this.#v = this.params.map(() => null);
    this.#steps = this.params.map(() => 0);
  }

  async step(): Promise<void> {
    const n = nativeAddon();
    const o = this.options;
    const idx = this.withGrads();
    for (const i of idx) {
      const p = this.params[i]!;
      this.#m[i] ??= Tensor.zeros(p.shape, { device: p.device });
      this.#v[i] ??= Tensor.zeros(p.shape, { device: p.device });
      this.#steps[i]!++;
    }
    // One fused call per distinct step count (all parameters share it in the usual loop).
    for (const step of new Set(idx.map((i) => this.#steps[i]!))) {
      const group = idx.filter((i) => this.#steps[i] === step);
      await n.adamwStep(
        group.map((i) => this.params[i]!.handle),
        group.map((i) => this.params[i]!.grad!.handle),
        group.map((i) => this.#m[i]!.handle),
        group.map((i) => this.#v[i]!.handle),
        { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, step },
      );
    }
    this.stepCount++;
  }

  state(): OptimizerState {
    const o = this.options;
    return {
      type: 'AdamW',
      step: this.stepCount,
      hyper: { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay },
      slots: { m: [...this.#m], v: [...this.#v] },
      paramSteps: [...this.#steps],
    };
  }

  loadState(s: OptimizerState): void {
    this.checkState(s, 'AdamW', ['m', 'v']);
    const steps = s.paramSteps ?? [];
    if (steps.length !== this.params.length || steps.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new InvalidArgumentError(
        `AdamW state needs paramSteps: one step count per parameter (${this.params.length})`,
      );
    }
    const m = s.slots.m!.map((t, i) => this.adopt(t, i, 'm'));
    const v = s.slots.v!.map((t, i) => this.adopt(t, i, 'v'));
    for (const t of [...this.#m, ...this.#v]) t?.free();
    this.#m = m;
    this.#v = v;
    this.#steps = steps;
    this.stepCount = s.step;
  }
}

/**
 * Scales every gradient in place so their global L2 norm is at most `maxNorm` (factor
 * maxNorm / (norm + 1e-6), as PyTorch's clip_grad_norm_), and returns the norm before clipping.
 * Parameters without a gradient are skipped.
 */
export async function clipGradNorm(params: Iterable<Parameter>, maxNorm: number): Promise<number> {
  if (!(maxNorm > 0))
    throw new InvalidArgumentError(`maxNorm must be > 0, got ${maxNorm}`, { context: { field: 'maxNorm' } });
  const grads = [...params].flatMap((p) => (p.grad ? [p.grad.handle] : []));
  return nativeAddon().clipGradNorm(grads, maxNorm);
}
