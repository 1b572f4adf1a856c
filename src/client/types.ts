import type { ObjectRef } from '../objects/index.js';

/** Any class an actor can be made from. */
// biome-ignore lint/suspicious/noExplicitAny: constructor parameters are contravariant; unknown[] would refuse real classes
export type ActorClassType = abstract new (...args: any[]) => object;

type MethodKeys<I> = {
  // biome-ignore lint/suspicious/noExplicitAny: any function's parameters, for the same reason
  [K in keyof I]: I[K] extends (...args: any[]) => unknown ? K : never;
}[keyof I] &
  string;

/** Each argument may also be given as a ref to a value of its type; the callee gets the value. */
export type RefArgs<A extends unknown[]> = { [I in keyof A]: A[I] | ObjectRef<A[I]> };

/** `handle.call.m(...)`: the method's arguments, and a promise of its (awaited) result. */
export type CallProxy<C extends ActorClassType> = {
  [K in MethodKeys<InstanceType<C>>]: InstanceType<C>[K] extends (...args: infer A) => infer R
    ? (...args: RefArgs<A>) => Promise<Awaited<R>>
    : never;
};

/** `handle.ref.m(...)`: the method's arguments, and at once a ref to its (awaited) result. */
export type RefProxy<C extends ActorClassType> = {
  [K in MethodKeys<InstanceType<C>>]: InstanceType<C>[K] extends (...args: infer A) => infer R
    ? (...args: RefArgs<A>) => ObjectRef<Awaited<R>>
    : never;
};
