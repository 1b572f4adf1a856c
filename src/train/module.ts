/**
 * Module: a piece of a model with parameters and an async forward. Parameters and child modules
 * are found on the instance's own fields (in the order they were assigned) and named with dots,
 * as in PyTorch's state_dict: `0.weight`, `2.bias`.
 */
import { InvalidArgumentError } from '../common/index.js';
import { Parameter, shapeText, type Tensor } from './tensor.js';

export abstract class Module {
  abstract forward(x: Tensor): Promise<Tensor>;

  /** Child modules by name; the default finds them on the instance's fields. */
  children(): Array<[string, Module]> {
    return Object.entries(this).filter((e): e is [string, Module] => e[1] instanceof Module);
  }

  /** This module's own parameters by name (not its children's). */
  ownParameters(): Array<[string, Parameter]> {
    return Object.entries(this).filter((e): e is [string, Parameter] => e[1] instanceof Parameter);
  }

  /** Every parameter of this module and its children, with dotted names. */
  namedParameters(prefix = ''): Array<[string, Parameter]> {
    const out: Array<[string, Parameter]> = this.ownParameters().map(([n, p]) => [prefix + n, p]);
    for (const [name, child] of this.children()) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Frees and clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.free();
      p.grad = null;
    }
  }

  /** Copies parameter values in from `values` (name → data); every parameter must be present. */
  loadParameters(values: ReadonlyMap<string, Float32Array>): void {
    const params = this.namedParameters();
    const missing = params.filter(([n]) => !values.has(n)).map(([n]) => n);
    if (missing.length) throw new InvalidArgumentError(`missing parameters: ${missing.join(', ')}`);
    for (const [name, p] of params) {
      const data = values.get(name)!;
      if (data.length !== p.size) {
        throw new InvalidArgumentError(
          `parameter ${name} is ${shapeText(p.shape)} but the value has ${data.length} elements`,
          {
            context: { field: name },
          },
        );
      }
      p.copyFrom(data);
    }
  }

  /** Frees every parameter and gradient now. */
  free(): void {
    for (const p of this.parameters()) {
      p.grad?.free();
      p.free();
    }
  }
}

/** Runs its modules one after another; they are named by position. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(...layers: Module[]) {
    super();
    this.layers = layers;
  }

  override children(): Array<[string, Module]> {
    return this.layers.map((m, i) => [String(i), m]);
  }

  async forward(x: Tensor): Promise<Tensor> {
    let y = x;
    for (const layer of this.layers) y = await layer.forward(y);
    return y;
  }
}
