/**
 * Tensor: a float32 (or int32, for class labels) array in native memory with a shape and a
 * device, and, when it takes part in training, a gradient and the node that made it.
 */
import { nativeAddon, type DType, type NativeTensor } from '../../native/index.js';
import { InvalidArgumentError, ObjectFreedError } from '../common/index.js';

/** 'cpu', or an NVIDIA GPU by index ('cuda:0'). */
export type Device = 'cpu' | `cuda:${number}`;

export interface TensorOptions {
  /** Element type. Default 'float32'; 'int32' is for class indices. */
  dtype?: DType;
  /** Where the data lives. Default 'cpu'; 'cuda:N' fails with DeviceUnavailableError where there is no GPU. */
  device?: Device;
  /** Track operations on this tensor so `backward` reaches it. Default false. */
  requiresGrad?: boolean;
}

/** The operation that produced a tensor, as the backward pass sees it. */
export interface GradNode {
  readonly name: string;
  readonly inputs: readonly Tensor[];
  /** The gradient for each input (null where none flows), given the output's gradient. */
  backward(grad: Tensor): Promise<Array<Tensor | null>>;
  /** Drops what the node saved for the backward pass. */
  release(): void;
}

const MAX_ELEMENTS = 2 ** 40;

function checkShape(shape: readonly number[]): number {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InvalidArgumentError(`shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`, {
      context: { field: 'shape' },
    });
  }
  const n = shape.reduce((a, b) => a * b, 1);
  if (n > MAX_ELEMENTS)
    throw new InvalidArgumentError(`shape [${shape.join(',')}] is too large`, { context: { field: 'shape' } });
  return n;
}

// 'cuda' (untyped callers) means 'cuda:0', as in the binding, so device strings compare equal.
function deviceOf(opts: TensorOptions): Device {
  const d = opts.device ?? 'cpu';
  return (d as string) === 'cuda' ? 'cuda:0' : d;
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export class Tensor {
  #handle: NativeTensor | null;
  #why = 'it was freed';
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly device: Device;
  requiresGrad: boolean;
  /** The accumulated gradient of a leaf tensor after `backward`, or null. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, when it was made from tensors that require grad. */
  gradFn: GradNode | null = null;

  /** Wraps a native handle; use the static constructors instead. */
  constructor(handle: NativeTensor, shape: readonly number[], dtype: DType, device: Device, requiresGrad = false) {
    this.#handle = handle;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.device = device;
    this.requiresGrad = requiresGrad;
  }

  /** A tensor holding a copy of `data` (a Float32Array or Int32Array, or numbers converted to `dtype`). */
  static from(
    data: Float32Array | Int32Array | readonly number[],
    shape: readonly number[],
    opts: TensorOptions = {},
  ): Tensor {
    checkShape(shape);
    const array = Array.isArray(data)
      ? opts.dtype === 'int32'
        ? Int32Array.from(data)
        : Float32Array.from(data)
      : data;
    const device = deviceOf(opts);
    const handle = nativeAddon().create(array as Float32Array | Int32Array, shape, device);
    const dtype: DType = array instanceof Int32Array ? 'int32' : 'float32';
    if (opts.dtype !== undefined && opts.dtype !== dtype) {
      nativeAddon().free(handle);
      throw new InvalidArgumentError(`data is ${dtype} but dtype ${opts.dtype} was asked for`, {
        context: { field: 'dtype' },
      });
    }
    return new Tensor(handle, shape, dtype, device, opts.requiresGrad ?? false);
  }

  static zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
    checkShape(shape);
    const dtype = opts.dtype ?? 'float32';
    const device = deviceOf(opts);
    return new Tensor(nativeAddon().zeros(shape, dtype, device), shape, dtype, device, opts.requiresGrad ?? false);
  }

  static full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
    const n = checkShape(shape);
    const data = opts.dtype === 'int32' ? new Int32Array(n).fill(value) : new Float32Array(n).fill(value);
    return Tensor.from(data, shape, opts);
  }

  /** The native handle; throws ObjectFreedError once the tensor is freed. */
  get handle(): NativeTensor {
    if (!this.#handle) throw new ObjectFreedError(`tensor ${shapeText(this.shape)} cannot be used: ${this.#why}`);
    return this.#handle;
  }

  get freed(): boolean {
    return this.#handle === null || nativeAddon().describe(this.#handle).freed;
  }

  /** Number of elements. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** A copy of the data on the host. */
  toArray(): Float32Array | Int32Array {
    return nativeAddon().read(this.handle);
  }

  /** The data as float32 (throws InvalidArgumentError for an int32 tensor). */
  toFloat32Array(): Float32Array {
    const a = this.toArray();
    if (!(a instanceof Float32Array)) throw new InvalidArgumentError(`tensor is ${this.dtype}, not float32`);
    return a;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new InvalidArgumentError(`item() needs a tensor with one element, got shape ${shapeText(this.shape)}`);
    return this.toArray()[0]!;
  }

  /** Overwrites the data in place with a copy of `data` (same length and dtype). */
  copyFrom(data: Float32Array | Int32Array): void {
    nativeAddon().write(this.handle, data);
  }

  /**
   * A copy of this tensor on `device` ('cpu' or 'cuda:N'), through host memory: a new leaf, outside
   * the graph (no gradient flows back through it), that requires grad only when asked. Always a
   * copy, also to the same device, so the two can be freed independently.
   */
  to(device: Device, opts: { requiresGrad?: boolean } = {}): Tensor {
    return Tensor.from(this.toArray(), this.shape, {
      device,
      dtype: this.dtype,
      requiresGrad: opts.requiresGrad ?? false,
    });
  }

  /** The same data under another shape (shares memory; freeing either frees both). No gradient flows. */
  view(shape: readonly number[]): Tensor {
    checkShape(shape);
    return new Tensor(nativeAddon().view(this.handle, shape), shape, this.dtype, this.device);
  }

  /** A tensor sharing this one's data but outside the graph. */
  detach(): Tensor {
    return this.view(this.shape);
  }

  /** Releases the native memory now (it would otherwise go when the tensor is collected). */
  free(): void {
    if (this.#handle) nativeAddon().free(this.#handle);
    this.#handle = null;
  }

  [Symbol.dispose](): void {
    this.free();
  }

  /** Hands the native handle to a new owner (a Parameter); this tensor can no longer be used. */
  protected static take(t: Tensor, why: string): NativeTensor {
    const h = t.handle;
    t.#handle = null;
    t.#why = why;
    return h;
  }

  /** Computes gradients of this tensor with respect to every leaf that requires grad. */
  backward(grad?: Tensor): Promise<void> {
    return runBackward(this, grad);
  }

  toString(): string {
    return `Tensor(${shapeText(this.shape)}, ${this.dtype}, ${this.device})`;
  }
}

/** A trainable tensor: requires grad, owned by a Module, updated by an Optimizer. */
export class Parameter extends Tensor {
  /** Turns `data` into a parameter; `data` itself can no longer be used afterwards. */
  constructor(data: Tensor) {
    if (data.dtype !== 'float32') throw new InvalidArgumentError(`a parameter must be float32, got ${data.dtype}`);
    super(Tensor.take(data, 'it became a Parameter'), data.shape, data.dtype, data.device, true);
  }
}

/** Every tensor the root depends on through grad nodes, each after all the tensors made from it. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: Array<[Tensor, boolean]> = [[root, false]];
  while (stack.length) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const input of t.gradFn?.inputs ?? []) if (input.requiresGrad && !seen.has(input)) stack.push([input, false]);
  }
  return order.reverse();
}

/**
 * Reverse-mode pass from `root`: each node's gradient is computed once all its consumers have
 * contributed, then handed to the inputs. A gradient tensor is owned by exactly one place (the
 * pending map or a leaf's `.grad`); one handed to a second place is copied first. Intermediate
 * gradients are freed as soon as they are used, and each node drops what it saved (the graph
 * is used once, as in PyTorch without retain_graph).
 */
async function runBackward(root: Tensor, grad?: Tensor): Promise<void> {
  const native = nativeAddon();
  if (!root.requiresGrad) throw new InvalidArgumentError(`backward: ${root} does not require grad`);
  if (!grad && root.size !== 1) {
    throw new InvalidArgumentError(`backward: ${root} is not a scalar; pass the gradient of the output`);
  }
  if (grad && grad.shape.join() !== root.shape.join()) {
    throw new InvalidArgumentError(
      `backward: gradient is ${shapeText(grad.shape)} but the output is ${shapeText(root.shape)}`,
    );
  }
  const wrap = (h: NativeTensor, like: Tensor) => new Tensor(h, like.shape, 'float32', like.device);
  const pending = new Map<Tensor, Tensor>();
  const owned = new Set<Tensor>();
  // Adds g to the target's gradient, or makes it the gradient (a copy when g is already owned
  // elsewhere). Never frees g: the caller frees what no one adopted, once every input had its turn,
  // since one tensor may be handed to several inputs (add's backward returns g twice).
  const deposit = async (target: Tensor, g: Tensor) => {
    const existing = target.gradFn ? pending.get(target) : target.grad;
    if (existing) {
      await native.accumulate(existing.handle, g.handle);
      return;
    }
    if (owned.has(g)) g = wrap(await native.scale(g.handle, 1), g);
    owned.add(g);
    if (target.gradFn) pending.set(target, g);
    else target.grad = g;
  };
  const first = grad
    ? wrap(await native.scale(grad.handle, 1), grad)
    : Tensor.full(root.shape, 1, { device: root.device });
  await deposit(root, first);
  if (!owned.has(first)) first.free();
  for (const t of topoOrder(root)) {
    const node = t.gradFn;
    const g = pending.get(t);
    if (!node || !g) continue;
    pending.delete(t);
    owned.delete(g);
    const grads = await node.backward(g);
    node.release();
    for (let i = 0; i < node.inputs.length; i++) {
      const input = node.inputs[i]!;
      const gi = grads[i];
      if (gi && input.requiresGrad) await deposit(input, gi);
    }
    for (const x of new Set([g, ...grads])) if (x && !owned.has(x)) x.free();
  }
}
