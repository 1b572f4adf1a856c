/**
 * ObjectRef: a reference to a value that lives somewhere in the cluster (its owner's memory, or
 * the data plane of the actor process that computed it). A ref crosses the wire as a msgpack
 * extension holding just enough to fetch the value: the value itself when it is small ("inline"),
 * or the data-plane address and object id where it waits. The callee sees a `RefArg` in its
 * decoded arguments and resolves it before the method runs.
 */
import { addExtension } from 'msgpackr';

/** msgpack extension type of an ObjectRef on the wire. */
const REF_EXTENSION = 42;

/** What the owner knows of one object: set by the owner's object table. */
export interface RefState {
  readonly id: string;
  /** How the ref travels once the value is ready; undefined while pending (or failed, or freed). */
  descriptor(): RefDescriptor | undefined;
}

/** [id, 0, envelope] for an inline value; [id, 1, data-plane address, size] for a stored one. */
export type RefDescriptor = [string, 0, Uint8Array] | [string, 1, string, number];

/**
 * A reference to the value of `handle.ref.method(...)` or `cluster.put(value)`. Pass it to other
 * calls (the callee pulls the value straight from where it is), or read it with `cluster.get`.
 * The value is freed when no ref to it is left in the owner (garbage collected or `cluster.free`).
 */
export class ObjectRef<T = unknown> {
  /** Phantom: the type of the value. */
  declare readonly __value?: T;
  /** @internal */
  readonly state: RefState;

  /** @internal */
  constructor(state: RefState) {
    this.state = state;
  }

  get id(): string {
    return this.state.id;
  }

  toString(): string {
    return `ObjectRef(${this.state.id})`;
  }
}

/** A ref as the callee decodes it, to be replaced by its value before the method runs. */
export class RefArg {
  constructor(readonly descriptor: RefDescriptor) {}
  get id(): string {
    return this.descriptor[0];
  }
}

// Refs met while encoding (to pin them and to check they are ready); refs decoded so far.
let collecting: RefState[] | undefined;
let decodedRefs = 0;

addExtension({
  Class: ObjectRef,
  type: REF_EXTENSION,
  write(ref: ObjectRef) {
    collecting?.push(ref.state);
    // A ref that is not ready yet encodes as its id alone: the caller re-encodes once it is.
    return ref.state.descriptor() ?? [ref.state.id, -1];
  },
  read(data: unknown) {
    if (!isDescriptor(data))
      throw new Error('malformed ObjectRef on the wire (expected [id, 0, value] or [id, 1, address, size])');
    decodedRefs++;
    return new RefArg(data);
  },
});

function isDescriptor(d: unknown): d is RefDescriptor {
  if (!Array.isArray(d) || typeof d[0] !== 'string') return false;
  if (d[1] === 0) return d.length === 3 && d[2] instanceof Uint8Array;
  if (d[1] === 1) return d.length === 4 && typeof d[2] === 'string' && typeof d[3] === 'number';
  return d.length === 2 && d[1] === -1; // not ready when sent: fails when resolved, naming the object
}

/** Runs `encodeFn` and returns what it made and the refs it met (in order, possibly repeated). */
export function collectingRefs<R>(encodeFn: () => R): { result: R; refs: RefState[] } {
  const outer = collecting;
  const refs: RefState[] = [];
  collecting = refs;
  try {
    return { result: encodeFn(), refs };
  } finally {
    collecting = outer;
  }
}

/** Refs decoded so far in this process: unchanged across a decode means it held none. */
export function decodedRefCount(): number {
  return decodedRefs;
}

/** Runs `decodeFn` and says whether it decoded any ref. */
export function decodingRefs<R>(decodeFn: () => R): { result: R; sawRefs: boolean } {
  const before = decodedRefs;
  const result = decodeFn();
  return { result, sawRefs: decodedRefs !== before };
}
