/** Layers: Linear, ReLU, GELU, LayerNorm, and the `mlp` builder. */
import { InvalidArgumentError } from '../common/index.js';
import { Module, Sequential } from './module.js';
import { gelu, layerNorm, linear, relu } from './ops.js';
import { Random } from './random.js';
import { Parameter, Tensor, type Device } from './tensor.js';

export interface LinearOptions {
  /** Add a learned bias. Default true. */
  bias?: boolean;
  /** Seed of the initial weights; default random. */
  seed?: number;
  /** Default 'cpu'. */
  device?: Device;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${name} must be an integer >= 1, got ${v}`, { context: { field: name } });
  }
}

/** y = x Wᵀ + b with W [out, in], initialised U(−1/√in, 1/√in) like PyTorch's nn.Linear. */
export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: LinearOptions = {},
  ) {
    super();
    positiveInt('inFeatures', inFeatures);
    positiveInt('outFeatures', outFeatures);
    const rng = new Random(opts.seed);
    const bound = 1 / Math.sqrt(inFeatures);
    const device = opts.device ?? 'cpu';
    this.weight = new Parameter(
      Tensor.from(rng.uniform(outFeatures * inFeatures, -bound, bound), [outFeatures, inFeatures], { device }),
    );
    this.bias =
      opts.bias === false
        ? null
        : new Parameter(Tensor.from(rng.uniform(outFeatures, -bound, bound), [outFeatures], { device }));
  }

  forward(x: Tensor): Promise<Tensor> {
    return linear(x, this.weight, this.bias);
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Promise<Tensor> {
    return relu(x);
  }
}

export class GELU extends Module {
  forward(x: Tensor): Promise<Tensor> {
    return gelu(x);
  }
}

/** Normalises the last dimension, then scales by gamma (ones) and shifts by beta (zeros). */
export class LayerNorm extends Module {
  readonly gamma: Parameter;
  readonly beta: Parameter;

  constructor(
    readonly features: number,
    readonly eps = 1e-5,
    device: Device = 'cpu',
  ) {
    super();
    positiveInt('features', features);
    this.gamma = new Parameter(Tensor.full([features], 1, { device }));
    this.beta = new Parameter(Tensor.zeros([features], { device }));
  }

  forward(x: Tensor): Promise<Tensor> {
    return layerNorm(x, this.gamma, this.beta, this.eps);
  }
}

export interface MlpOptions {
  /** Between hidden layers. Default 'relu'. */
  activation?: 'relu' | 'gelu';
  /** A LayerNorm after each hidden Linear, before the activation. Default false. */
  layerNorm?: boolean;
  /** Seed for every layer's initial weights; default random. */
  seed?: number;
  device?: Device;
}

/** `mlp([784, 512, 10])`: Linear layers of those sizes with activations between them. */
export function mlp(sizes: readonly number[], opts: MlpOptions = {}): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2) {
    throw new InvalidArgumentError(`mlp needs at least two sizes (inputs, outputs), got ${JSON.stringify(sizes)}`, {
      context: { field: 'sizes' },
    });
  }
  const rng = new Random(opts.seed);
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i]!, sizes[i + 1]!, { seed: rng.fork(), device: opts.device ?? 'cpu' }));
    if (i + 2 < sizes.length) {
      if (opts.layerNorm) layers.push(new LayerNorm(sizes[i + 1]!, 1e-5, opts.device ?? 'cpu'));
      layers.push(opts.activation === 'gelu' ? new GELU() : new ReLU());
    }
  }
  return new Sequential(...layers);
}
