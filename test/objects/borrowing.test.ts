/**
 * Borrowing, unit level: three object planes in this one process stand for three processes (each
 * its own data-plane server and client), with an ObjectTable on each where one owns objects.
 * Messages between them are encoded by one plane and decoded by another, as a call result or a
 * put value travels; the counts go over real data-plane connections (BORROW, RELEASE, FREE).
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ObjectFreedError, OwnerDiedError, SerializationError } from '../../src/common/errors.js';
import { decode } from '../../src/objects/codec.js';
import { ObjectTable } from '../../src/objects/owner.js';
import { ObjectPlane } from '../../src/objects/plane.js';
import { ObjectRef, RefArg, type StoredDescriptor } from '../../src/objects/ref.js';
import { eventually } from '../fixtures/index.js';

const TOKEN = 'borrow-test-token';

v8.setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let planes: ObjectPlane[] = [];

async function process_(ownerId: string): Promise<{ plane: ObjectPlane; table: ObjectTable }> {
  const plane = new ObjectPlane({ token: TOKEN, host: '127.0.0.1' });
  planes.push(plane);
  await plane.address();
  return { plane, table: new ObjectTable(plane, ownerId) };
}

beforeEach(() => {
  planes = [];
});
afterEach(async () => {
  for (const p of planes) await p.close();
});

/** Borrows of `id` at its holder (undefined: the holder no longer has it). */
const borrows = (holder: ObjectPlane, id: string): number | undefined => holder.store.get(id)?.borrows;

/** A large array, so that a put keeps it on the data plane. */
const big = (n: number, seed: number): Float64Array => Float64Array.from({ length: n }, (_, i) => i * seed);

/** What `sender` sends as a result delivered once, as `receiver` decodes it. */
function deliver<T>(sender: ObjectPlane, receiver: ObjectPlane, value: T): T {
  return receiver.decodeValue(sender.encodeMessage(value, 'a result'), 'a result', true) as T;
}

/** The stored descriptor of a ref (its holder, id and owner). */
const stored = (ref: ObjectRef): StoredDescriptor => ref.state.descriptor() as StoredDescriptor;

describe('borrowed refs', () => {
  it('a ref inside a put value comes out as a working ref, and the object lives until every holder let go', async () => {
    const a = await process_('owner-a');
    const b = await process_('borrower-b');
    const x = await a.table.put(big(1 << 15, 3));
    const outer = await a.table.put({ name: 'outer', x });
    const xId = stored(x)[0];
    expect(borrows(a.plane, xId)).toBe(1); // the inline put value holds one count
    // The owner reads its own put value: the ref inside is a borrowed ref, not the array.
    const own = (await a.table.get(outer)) as { name: string; x: ObjectRef };
    expect(own.x).toBeInstanceOf(ObjectRef);
    expect(own.x).not.toBe(x);
    expect(borrows(a.plane, xId)).toBe(2);
    // B gets the outer ref as a result, reads it, and reads the ref inside from A's data plane.
    // Delivered, the inline outer ref counts the ref inside it (added by A, inherited by B).
    const { got } = deliver(a.plane, b.plane, { got: outer });
    expect(borrows(a.plane, xId)).toBe(3);
    const value = (await b.table.get(got)) as { name: string; x: ObjectRef<Float64Array> };
    expect(value.name).toBe('outer');
    expect(await eventually(() => borrows(a.plane, xId) === 4)).toBe(true);
    expect(Array.from((await b.table.get(value.x)).subarray(0, 3))).toEqual([0, 3, 6]);
    const [ready] = await b.table.wait([value.x]);
    expect(ready).toEqual([value.x]);
    // The owner lets go of everything: B's borrows keep the array at A.
    a.table.free([x, outer, own.x]);
    expect(borrows(a.plane, xId)).toBe(2);
    expect(await rejectionOf(a.table.get(x))).toBeInstanceOf(ObjectFreedError);
    expect((await b.table.get(value.x)).length).toBe(1 << 15);
    const held = a.plane.stats().bytes;
    b.table.free([value.x]);
    expect(await eventually(() => borrows(a.plane, xId) === 1)).toBe(true);
    b.table.free([got]);
    expect(await eventually(() => a.plane.store.get(xId) === undefined)).toBe(true);
    expect(a.plane.stats().bytes).toBeLessThan(held - (1 << 17));
    expect(await rejectionOf(b.table.get(value.x))).toBeInstanceOf(ObjectFreedError);
  });

  it('a result delivered once hands its counts to the receiver: the sender adds them, the receiver releases them', async () => {
    const h = await process_('holder-h');
    const s = await process_('sender-s');
    const r = await process_('receiver-r');
    const x = await h.table.put(big(1 << 14, 1));
    const id = stored(x)[0];
    // S borrowed x (from a container it read), and returns it inside a result to R.
    const { x: atS } = deliver(h.plane, s.plane, { x });
    expect(borrows(h.plane, id)).toBe(1);
    const { x: atR } = deliver(s.plane, r.plane, { x: atS });
    expect(await eventually(() => borrows(h.plane, id) === 2)).toBe(true);
    s.table.free([atS]);
    h.table.free([x]);
    expect(await eventually(() => borrows(h.plane, id) === 1)).toBe(true);
    expect((await r.table.get(atR as ObjectRef<Float64Array>)).length).toBe(1 << 14);
    r.table.free([atR]);
    expect(await eventually(() => h.plane.store.get(id) === undefined)).toBe(true);
  });

  it('a borrowed ref that is garbage collected releases its count', async () => {
    const a = await process_('owner-a');
    const b = await process_('borrower-b');
    const x = await a.table.put(big(1 << 14, 2));
    const id = stored(x)[0];
    (() => {
      const got = deliver(a.plane, b.plane, [x]);
      expect(got[0]).toBeInstanceOf(ObjectRef);
    })();
    expect(borrows(a.plane, id)).toBe(1);
    a.table.free([x]);
    expect(a.plane.store.get(id)).toBeDefined();
    expect(
      await eventually(
        () => {
          gc();
          return a.plane.store.get(id) === undefined;
        },
        10_000,
        50,
      ),
    ).toBe(true);
  });

  it('a borrowed ref can be put inside another value, passed as a call argument and returned again', async () => {
    const a = await process_('owner-a');
    const b = await process_('borrower-b');
    const c = await process_('callee-c');
    const x = await a.table.put(big(1 << 14, 5));
    const id = stored(x)[0];
    const [atB] = deliver(a.plane, b.plane, [x]);
    // B puts it inside a value of its own (a container at B's memory, counting at A).
    const wrapped = await b.table.put({ again: atB });
    expect(await eventually(() => borrows(a.plane, id) === 2)).toBe(true);
    // B passes the borrowed ref as an argument: the callee resolves it to its value.
    const enc = b.table.encodeArgs([atB, wrapped], 'the arguments of f');
    b.table.pin(enc.refs);
    const args = (await c.plane.resolveRefs(decodeArgs(enc.envelope))) as [Float64Array, { again: ObjectRef }];
    expect(args[0].length).toBe(1 << 14);
    expect(args[1].again).toBeInstanceOf(ObjectRef); // a ref inside an argument's value stays a ref
    expect(await eventually(() => borrows(a.plane, id) === 3)).toBe(true);
    // The callee returns that ref to B, which reads it.
    const [back] = deliver(c.plane, b.plane, [args[1].again]);
    expect((await b.table.get(back as ObjectRef<Float64Array>)).length).toBe(1 << 14);
    b.table.unpin(enc.refs);
    b.table.free([atB, wrapped, back]);
    c.table.free([args[1].again]);
    a.table.free([x]);
    expect(await eventually(() => a.plane.store.get(id) === undefined)).toBe(true);
  });

  it('a stored container holds its counts until it goes, and each read from it adds the reader’s own', async () => {
    const a = await process_('owner-a');
    const b = await process_('owner-b');
    const x = await a.table.put(big(1 << 14, 7));
    const xId = stored(x)[0];
    const [atB] = deliver(a.plane, b.plane, [x]);
    expect(borrows(a.plane, xId)).toBe(1);
    // A large value with the ref inside: kept on B's data plane, owned by B, counting x at A.
    const container = await b.table.put({ payload: big(1 << 14, 1), x: atB });
    const cId = stored(container)[0];
    expect(b.plane.store.get(cId)?.owner).toBe('owner-b');
    expect(await eventually(() => borrows(a.plane, xId) === 2)).toBe(true);
    // A gets the container's ref and reads it twice: each read adds A's own count on x.
    const [cAtA] = deliver(b.plane, a.plane, [container]);
    expect(borrows(b.plane, cId)).toBe(1);
    const read1 = (await a.table.get(cAtA as ObjectRef)) as { x: ObjectRef };
    const read2 = (await a.table.get(cAtA as ObjectRef)) as { x: ObjectRef };
    expect(borrows(a.plane, xId)).toBe(4);
    a.table.free([x, read1.x, read2.x]);
    b.table.free([atB]);
    expect(await eventually(() => borrows(a.plane, xId) === 1)).toBe(true);
    // B lets go of the container, but A still borrows it; when A lets go, it goes, and so does x.
    b.table.free([container]);
    expect(b.plane.store.get(cId)).toBeDefined();
    a.table.free([cAtA as ObjectRef]);
    expect(await eventually(() => b.plane.store.get(cId) === undefined)).toBe(true);
    expect(await eventually(() => a.plane.store.get(xId) === undefined)).toBe(true);
  });

  it('a pull-once result hands its counts to its reader; one never read gives them back when it goes', async () => {
    const h = await process_('holder-h');
    const s = await process_('sender-s');
    const r = await process_('receiver-r');
    const x = await h.table.put(big(1 << 14, 9));
    const id = stored(x)[0];
    const [atS] = deliver(h.plane, s.plane, [x]);
    const once = s.plane.holdValue(
      'r.once.1',
      { x: atS, payload: big(1 << 14, 2) },
      { owner: 'receiver-r', once: true },
    );
    const never = s.plane.holdValue(
      'r.once.2',
      { x: atS, payload: big(1 << 14, 3) },
      { owner: 'receiver-r', once: true },
    );
    expect(await eventually(() => borrows(h.plane, id) === 3)).toBe(true);
    const got = (await r.plane.fetchValue(once, 'a result', { inherit: true })) as { x: ObjectRef };
    expect(got.x).toBeInstanceOf(ObjectRef);
    expect(s.plane.store.get('r.once.1')).toBeUndefined();
    expect(borrows(h.plane, id)).toBe(3); // inherited, not added again
    s.plane.store.deleteOwner('receiver-r'); // the unread one goes with its reader
    expect(s.plane.store.get(never.objectId)).toBeUndefined();
    expect(await eventually(() => borrows(h.plane, id) === 2)).toBe(true);
    r.table.free([got.x]);
    s.table.free([atS]);
    expect(await eventually(() => borrows(h.plane, id) === 0)).toBe(true);
    h.table.free([x]);
    expect(h.plane.store.get(id)).toBeUndefined();
  });

  it('one process’s adds and releases reach the holder in the order made', async () => {
    const a = await process_('owner-a');
    const b = await process_('borrower-b');
    const x = await a.table.put(big(1 << 14, 4));
    const id = stored(x)[0];
    const outer = await a.table.put({ x });
    const [outerAtB] = deliver(a.plane, b.plane, [outer]);
    a.table.free([x, outer]);
    // Only B's inline ref holds x now. B reads it (an add, written at once) and in the same turn
    // lets go of it (a release): had the release overtaken the add, x would have gone at A.
    const envelope = (outerAtB as ObjectRef).state.descriptor()![2] as Uint8Array;
    const read = b.plane.decodeValue(envelope, 'the outer value', false) as { x: ObjectRef };
    b.table.free([outerAtB as ObjectRef]);
    // A pull on the same connection is served after both counts.
    expect((await b.table.get(read.x as ObjectRef<Float64Array>)).length).toBe(1 << 14);
    expect(borrows(a.plane, id)).toBe(1);
    b.table.free([read.x]);
    expect(await eventually(() => a.plane.store.get(id) === undefined)).toBe(true);
  });
});

describe('refs that are not ready', () => {
  it('a result holding a ref that is not ready is refused at the sender, naming the ref', async () => {
    const a = await process_('owner-a');
    const { ref, obj } = a.table.create();
    expect(() => a.plane.encodeMessage({ ref }, 'the result of f')).toThrow(
      new RegExp(`the result of f holds ObjectRef\\(${obj.id}\\), which is not ready`),
    );
    expect(() => a.plane.holdValue('k.1', { ref, big: big(1 << 14, 1) }, { owner: 'x', snapshot: true })).toThrow(
      SerializationError,
    );
    expect(a.plane.store.get('k.1')).toBeUndefined();
    obj.settle(undefined, new Error('never'));
  });
});

describe('owner death', () => {
  it('an owner gone in a process that lives on lets go of the counts its values held there', async () => {
    const a = await process_('owner-a');
    const b = await process_('driver-b');
    const x = await a.table.put(big(1 << 14, 1));
    const id = stored(x)[0];
    // An actor's table on B's plane (shared with B's own), owning an inline value that holds x.
    const actor = new ObjectTable(b.plane, 'actor-k');
    const [atB] = deliver(a.plane, b.plane, [x]);
    const inline = await actor.put({ x: atB });
    expect(await eventually(() => borrows(a.plane, id) === 2)).toBe(true);
    b.table.free([atB]);
    a.table.free([x]);
    expect(await eventually(() => borrows(a.plane, id) === 1)).toBe(true);
    b.plane.store.deleteOwner('actor-k'); // the actor was killed
    expect(await eventually(() => a.plane.store.get(id) === undefined)).toBe(true);
    expect(await rejectionOf(actor.get(inline))).toBeInstanceOf(ObjectFreedError);
  });

  it('a holder that lives on answers OWNER_DIED naming the owner, once the owner went (borrowed or not)', async () => {
    const h = await process_('holder-h');
    const b = await process_('borrower-b');
    // Held at H for an owner that lives elsewhere ('actor-7'), as a call's kept result is.
    const loc = h.plane.holdValue('actor-7.0.1', big(1 << 14, 1), { owner: 'actor-7' });
    const d: StoredDescriptor = [loc.objectId, 1, loc.address, loc.size, 'actor-7'];
    const [ref] = deliver(h.plane, b.plane, [new ObjectRef({ id: d[0], descriptor: () => d })]);
    expect(await eventually(() => borrows(h.plane, d[0]) === 1)).toBe(true);
    expect(h.plane.store.deleteOwner('actor-7')).toBe(1);
    const err = await rejectionOf(b.table.get(ref as ObjectRef));
    expect(err).toBeInstanceOf(OwnerDiedError);
    expect((err as OwnerDiedError).owner).toBe('actor-7');
    expect(err.message).toMatch(/its owner actor-7 died/);
    // Read in the holder itself: the same answer.
    const local = await rejectionOf(h.plane.fetchValue(loc, 'object here', { owner: 'actor-7' }));
    expect(local).toBeInstanceOf(OwnerDiedError);
    expect(local.message).toMatch(/its owner actor-7 died/);
  });

  it('a holder that is the owner’s process and died: the pull fails and the error names the owner', async () => {
    const a = await process_('actor-owner-9');
    const b = await process_('borrower-b');
    const x = await a.table.put(big(1 << 14, 1));
    const [ref] = deliver(a.plane, b.plane, [x]);
    await a.plane.close();
    const err = await rejectionOf(b.table.get(ref as ObjectRef));
    expect(err).toBeInstanceOf(OwnerDiedError);
    expect((err as OwnerDiedError).owner).toBe('actor-owner-9');
    expect(err.message).toMatch(/\(owner actor-owner-9\) is lost/);
  });

  it('reads a stored ref in the 4-element wire form of older peers (no owner)', async () => {
    const h = await process_('holder-h');
    const b = await process_('borrower-b');
    const loc = h.plane.holdValue('old.1', { v: 42 }, { owner: 'old' });
    const d = [loc.objectId, 1, loc.address, loc.size] as unknown as StoredDescriptor;
    const [ref] = deliver(h.plane, b.plane, [new ObjectRef({ id: d[0], descriptor: () => d })]);
    expect(await b.table.get(ref as ObjectRef)).toEqual({ v: 42 });
    expect(stored(ref as ObjectRef)[4]).toBe('');
  });
});

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** Call arguments as the callee decodes them (refs as RefArgs, resolved by resolveRefs). */
function decodeArgs(envelope: Uint8Array): unknown[] {
  const args = decode<unknown[]>(envelope);
  expect(args.some((a) => a instanceof RefArg)).toBe(true);
  return args;
}
