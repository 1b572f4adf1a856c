/** Any class an actor can be made from. */
export type ActorClassType = abstract new (...args: any[]) => object;

type MethodKeys<I> = {
  [K in keyof I]: I[K] extends (...args: any[]) => unknown ? K : never;
}[keyof I] & string;

/** `handle.call.m(...)`: the method's arguments, and a promise of its (awaited) result. */
export type CallProxy<C extends ActorClassType> = {
  [K in MethodKeys<InstanceType<C>>]: InstanceType<C>[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};
