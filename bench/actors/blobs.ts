/** The actor the `dataplane` benchmark moves large arrays to and from. */
export class BlobActor {
  private readonly kept = new Map<number, Float32Array>();
  /** Returns a kept array of `n` floats (made once, so later calls time only the transfer). */
  make(n: number): Float32Array {
    let a = this.kept.get(n);
    if (!a) this.kept.set(n, (a = new Float32Array(n).fill(1.5)));
    return a;
  }
  /** Takes an array and answers with its length, so only the argument travels. */
  length(a: Float32Array): number {
    return a.length;
  }
  /** Reads a small `{ step }` value (passed by ref: pulled from its owner first) and answers its step. */
  step(x: { step: number }): number {
    return x.step;
  }
  /** A small value, for put/get rates. */
  small(x: number): number {
    return x;
  }
}
