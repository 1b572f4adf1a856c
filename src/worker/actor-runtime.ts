import {
  ActorDiedError,
  ActorMethodError,
  MethodNotFoundError,
  SerializationError,
  TroupeError,
  errorToInfo,
  type DeathCause,
  type ErrorInfo,
} from '../common/index.js';
import { runAsActor, type ActorScope } from '../common/index.js';
import type { ObjectLocation } from '../objects/index.js';

/** An actor's method, called with the actor as `this`. */
type ActorMethod = (this: object, ...args: unknown[]) => unknown;

/** What a finished call produces: an encoded value, a large one waiting on the data plane, or an error. */
export type Outcome = { value: Buffer } | { stored: ObjectLocation } | { error: ErrorInfo };
export type Reply = (outcome: Outcome) => void;

/** One call as the host hands it over: how to get its arguments and how to ship its result. */
export interface CallRequest {
  method: string;
  /** The decoded arguments, or a promise of them when refs or out-of-band parts must be pulled first. */
  args(): unknown[] | Promise<unknown[]>;
  /** Turns the method's return value into what goes back (inline, or kept on the data plane). */
  result(value: unknown): Outcome;
}

interface QueuedCall extends CallRequest {
  reply: Reply;
}

// Names that are never callable remotely: they belong to Object or the runtime.
const FORBIDDEN = new Set(['constructor', '__proto__', 'then', 'toString', 'valueOf', 'hasOwnProperty']);

/**
 * One live actor: its instance and its call queue. Calls start in arrival order; a method that
 * returns a promise keeps its slot until it settles, so at most `maxConcurrency` run at once and
 * with the default of 1 every call sees the effects of the previous one.
 */
export class ActorInstance {
  private readonly queue: QueuedCall[] = [];
  private head = 0;
  private inFlight = 0;
  private deadCause: DeathCause | undefined;

  readonly actorId: string;
  readonly className: string;

  constructor(
    private readonly scope: ActorScope,
    private readonly instance: Record<string, unknown>,
    private readonly maxConcurrency: number,
  ) {
    this.actorId = scope.actorId;
    this.className = scope.className;
  }

  /** The actor object itself (collective groups are registered by it). */
  get target(): object {
    return this.instance;
  }

  submit(request: CallRequest, reply: Reply): void {
    if (this.deadCause) {
      reply({ error: errorToInfo(ActorDiedError.of(this.actorId, this.deadCause, request.method)) });
      return;
    }
    const call = request as QueuedCall;
    call.reply = reply;
    this.queue.push(call);
    this.pump();
  }

  /** Fails every queued call; calls already running finish but their results are replaced. */
  destroy(cause: DeathCause): void {
    this.deadCause = cause;
    for (let i = this.head; i < this.queue.length; i++) {
      const call = this.queue[i]!;
      call.reply({ error: errorToInfo(ActorDiedError.of(this.actorId, cause, call.method)) });
    }
    this.queue.length = 0;
    this.head = 0;
  }

  private pump(): void {
    while (this.inFlight < this.maxConcurrency && this.head < this.queue.length) {
      const call = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as QueuedCall;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      // As the actor: its arguments' handles bind to its cluster, and its code sees itself.
      runAsActor(this.scope, () => this.run(call));
    }
  }

  private run(call: QueuedCall): void {
    let fn: ActorMethod;
    let args: unknown[] | Promise<unknown[]>;
    try {
      fn = this.lookup(call.method);
      args = call.args();
    } catch (err) {
      call.reply({ error: this.failure(call.method, err) });
      return;
    }
    if (!(args instanceof Promise)) {
      this.invoke(call, fn, args);
      return;
    }
    // Refs or large arguments are being pulled: the call holds its slot meanwhile, so later calls
    // still start in order.
    this.inFlight++;
    args.then(
      (resolved) => {
        this.inFlight--;
        if (this.deadCause)
          call.reply({ error: errorToInfo(ActorDiedError.of(this.actorId, this.deadCause, call.method)) });
        else this.invoke(call, fn, resolved);
        this.pump();
      },
      (err: unknown) => {
        this.inFlight--;
        // Not the method's fault: say what could not be fetched, as it is.
        call.reply({ error: errorToInfo(err) });
        this.pump();
      },
    );
  }

  private invoke(call: QueuedCall, fn: ActorMethod, args: unknown[]): void {
    let result: unknown;
    try {
      if (!Array.isArray(args)) {
        throw new SerializationError(
          `the arguments of ${call.method} must be an array of values, got ${args === null ? 'null' : typeof args}`,
          { context: { actorId: this.actorId, method: call.method } },
        );
      }
      result = fn.apply(this.instance, args);
    } catch (err) {
      call.reply({ error: this.failure(call.method, err) });
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      this.inFlight++;
      (result as PromiseLike<unknown>).then(
        (value) => {
          this.inFlight--;
          this.finish(call, value);
          this.pump();
        },
        (err: unknown) => {
          this.inFlight--;
          call.reply({ error: this.failure(call.method, err) });
          this.pump();
        },
      );
      return;
    }
    this.finish(call, result);
  }

  private finish(call: QueuedCall, value: unknown): void {
    if (this.deadCause) {
      call.reply({ error: errorToInfo(ActorDiedError.of(this.actorId, this.deadCause, call.method)) });
      return;
    }
    try {
      call.reply(call.result(value));
    } catch (err) {
      call.reply({ error: errorToInfo(err) });
    }
  }

  private lookup(method: string): ActorMethod {
    const fn = FORBIDDEN.has(method) || method.startsWith('#') ? undefined : classMethod(this.instance, method);
    if (fn === undefined) {
      throw new MethodNotFoundError(`${this.className} has no method '${method}'`, {
        context: { actorId: this.actorId, method },
      });
    }
    return fn;
  }

  private failure(method: string, err: unknown): ErrorInfo {
    if (err instanceof MethodNotFoundError || (err instanceof TroupeError && err.code === 'SERIALIZATION')) {
      return errorToInfo(err);
    }
    const message = err instanceof Error ? err.message : String(err);
    const wrapped = new ActorMethodError(`${this.className}.${method} threw: ${message}`, {
      cause: err,
      context: { actorId: this.actorId, method },
      remoteStack: err instanceof Error ? err.stack : undefined,
    });
    return errorToInfo(wrapped);
  }
}

/**
 * The method `name` of the actor's own class chain: the instance's own function fields and the
 * prototypes below Object.prototype. What every object inherits (isPrototypeOf,
 * __defineGetter__, toLocaleString, ...) is not the actor's to offer.
 */
function classMethod(instance: object, name: string): ActorMethod | undefined {
  for (let o: object | null = instance; o !== null && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, name);
    if (d) return typeof d.value === 'function' ? (d.value as ActorMethod) : undefined;
  }
  return undefined;
}
