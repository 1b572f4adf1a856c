/** The objects component's door: what other components may import. */
export { ObjectPlane } from './plane.js';
export type { ObjectLocation } from './plane.js';
export { decode, encode } from './codec.js';
export { ObjectTable } from './owner.js';
export type { EncodedArgs, OwnedObject, RefObject, WaitOptions } from './owner.js';
export type { BorrowedObject } from './borrow.js';
export { ObjectRef, decodedRefCount, decodingRefs } from './ref.js';
export { hasLargeParts, split } from './out-of-band.js';
