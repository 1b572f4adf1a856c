/**
 * ObjectRef: a reference to a value that lives somewhere in the cluster (its owner's memory, or
 * the data plane of the process that holds it). A ref crosses the wire as a msgpack extension
 * holding just enough to fetch the value: the value itself when it is small ("inline"), or the
 * data-plane address, object id and owner id where it waits ("stored").
 *
 * Decoding has two modes. In call arguments (the default) a ref decodes as a `RefArg`, which the
 * callee replaces by its value before the method runs. In values (results, put values, what `get`
 * reads) a ref decodes through the reader given to `decodingRefsWith`: a borrowed ObjectRef
 * (borrow.ts), or just the descriptor when a value is only scanned for the refs it holds.
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

/** [id, 0, envelope] for an inline value. */
export type InlineDescriptor = [string, 0, Uint8Array];
/** [id, 1, data-plane address, size, owner id] for a stored one (the owner is '' when an old peer left it out). */
export type StoredDescriptor = [string, 1, string, number, string];
export type RefDescriptor = InlineDescriptor | StoredDescriptor;

/**
 * A reference to the value of `handle.ref.method(...)` or `cluster.put(value)`. Pass it to other
 * calls (the callee pulls the value straight from where it is), put it inside values or return it
 * from methods (it arrives as a working, borrowed ref), or read it with `cluster.get`. The value
 * is freed when no ref to it is left in the owner (garbage collected or `cluster.free`) and no
 * borrower holds it; it goes with its owner, borrowed or not (then reads fail with OwnerDiedError).
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

// Refs met while encoding (to pin them and to check they are ready); refs decoded so far; how refs
// in values decode (undefined: as call arguments).
let collecting: RefState[] | undefined;
let decodedRefs = 0;
let reader: ((d: RefDescriptor | NotReady) => unknown) | undefined;

/** What a ref that was not ready when sent decodes to: it fails when used, naming the object. */
export type NotReady = [string, -1];

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
      throw new Error('malformed ObjectRef on the wire (expected [id, 0, value] or [id, 1, address, size, owner])');
    if (data[1] === 1 && data.length === 4) data.push('');
    decodedRefs++;
    return reader ? reader(data as RefDescriptor | NotReady) : new RefArg(data as RefDescriptor);
  },
});

function isDescriptor(d: unknown): d is RefDescriptor | NotReady | [string, 1, string, number] {
  if (!Array.isArray(d) || typeof d[0] !== 'string') return false;
  if (d[1] === 0) return d.length === 3 && d[2] instanceof Uint8Array;
  if (d[1] === 1) {
    const base = typeof d[2] === 'string' && typeof d[3] === 'number';
    return base && (d.length === 4 || (d.length === 5 && typeof d[4] === 'string'));
  }
  return d.length === 2 && d[1] === -1; // not ready when sent: fails when resolved, naming the object
}

/** Runs `decodeFn` with refs in values decoding through `read` (nested calls restore the outer reader). */
export function decodingRefsWith<R>(read: (d: RefDescriptor | NotReady) => unknown, decodeFn: () => R): R {
  const outer = reader;
  reader = read;
  try {
    return decodeFn();
  } finally {
    reader = outer;
  }
}

/** Runs `decodeFn` with refs decoding as call arguments (RefArg), whatever reader is around it. */
export function decodingArgs<R>(decodeFn: () => R): R {
  const outer = reader;
  reader = undefined;
  try {
    return decodeFn();
  } finally {
    reader = outer;
  }
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
