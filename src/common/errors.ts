/**
 * Every failure Troupe reports is a TroupeError with a stable string code. Errors cross process
 * boundaries as the `troupe.v1.ErrorInfo` proto message (code, message, remote stack, cause,
 * context) and are rebuilt into the same class on the other side by `errorFromInfo`.
 */
export const ErrorCode = {
  /** A value given by the user (option, flag, RPC field) broke a rule; `field` names it. */
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  /** The request can never be placed on this cluster: no node has the resources. */
  RESOURCES_INFEASIBLE: 'RESOURCES_INFEASIBLE',
  /** The actor is dead (exited, killed, constructor failed, node lost). */
  ACTOR_DIED: 'ACTOR_DIED',
  /** No actor with that id or name exists. */
  ACTOR_NOT_FOUND: 'ACTOR_NOT_FOUND',
  /** A named actor with that name already exists in that namespace. */
  NAME_TAKEN: 'NAME_TAKEN',
  /** The actor's module or export could not be loaded. */
  MODULE_LOAD_FAILED: 'MODULE_LOAD_FAILED',
  /** The actor's constructor threw. */
  ACTOR_CONSTRUCTOR_FAILED: 'ACTOR_CONSTRUCTOR_FAILED',
  /** A method of the actor threw; `cause` holds what it threw. */
  ACTOR_METHOD_FAILED: 'ACTOR_METHOD_FAILED',
  /** The called method does not exist on the actor. */
  METHOD_NOT_FOUND: 'METHOD_NOT_FOUND',
  /** A user-thrown error from remote code, rebuilt on this side. */
  REMOTE_ERROR: 'REMOTE_ERROR',
  /** The cluster token was missing or wrong. */
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  /** A message was larger than the configured limit. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** The head could not be reached. */
  HEAD_UNAVAILABLE: 'HEAD_UNAVAILABLE',
  /** A peer (worker, actor host) could not be reached. */
  UNAVAILABLE: 'UNAVAILABLE',
  /** An operation did not finish within its deadline. */
  TIMEOUT: 'TIMEOUT',
  /** The cluster handle was shut down. */
  SHUT_DOWN: 'SHUT_DOWN',
  /** A value could not be serialized or deserialized. */
  SERIALIZATION: 'SERIALIZATION',
  /** Data under the state store's keys could not be read; `context.key` names the key. */
  STATE_CORRUPT: 'STATE_CORRUPT',
  /** The state store (Redis) could not be reached. */
  STATE_UNAVAILABLE: 'STATE_UNAVAILABLE',
  /** The process that held an object's value (its owner, or the actor that computed it) is gone. */
  OWNER_DIED: 'OWNER_DIED',
  /** The object was freed: no reference to it was left, or it was freed explicitly. */
  OBJECT_FREED: 'OBJECT_FREED',
  /** A compute device (e.g. 'cuda:0') was asked for but is not there: no GPU, driver or CUDA library. */
  DEVICE_UNAVAILABLE: 'DEVICE_UNAVAILABLE',
  /** No job with that id exists. */
  JOB_NOT_FOUND: 'JOB_NOT_FOUND',
  /** Anything unexpected: a bug in Troupe. */
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Context carried with an error; all string-valued so it survives the wire unchanged. */
export interface ErrorContext {
  actorId?: string;
  nodeId?: string;
  field?: string;
  method?: string;
  [key: string]: string | undefined;
}

export interface TroupeErrorInit {
  cause?: unknown;
  context?: ErrorContext;
  /** Stack of the process where the error was first raised, when it came over the wire. */
  remoteStack?: string;
}

export class TroupeError extends Error {
  /**
   * The error's code: its ErrorCode, except on a RemoteError rebuilt from a user's error that had
   * a string `code` of its own (`'E_BIG'`, `'ENOENT'`), which it keeps, as Node's errors do.
   */
  readonly code: ErrorCode | (string & Record<never, never>);
  /** Always the ErrorCode of the class (REMOTE_ERROR for a RemoteError), whatever `code` holds. */
  readonly troupeCode: ErrorCode;
  readonly context: ErrorContext;
  readonly remoteStack: string | undefined;

  constructor(code: ErrorCode, message: string, init: TroupeErrorInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.troupeCode = code;
    // Only a user's error keeps a code of its own; every Troupe error has its ErrorCode.
    const own = code === ErrorCode.REMOTE_ERROR ? init.context?.remoteCode : undefined;
    this.code = own || code;
    this.context = init.context ?? {};
    this.remoteStack = init.remoteStack;
  }

  override get name(): string {
    return this.constructor.name;
  }
}

export class InvalidArgumentError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.INVALID_ARGUMENT, message, init);
  }
  get field(): string | undefined {
    return this.context.field;
  }
}

export class ResourcesInfeasibleError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.RESOURCES_INFEASIBLE, message, init);
  }
}

/** Why an actor died; carried in ActorDiedError.context.cause and in actor info. */
export type DeathCause =
  | { type: 'exited'; exitCode: number }
  | { type: 'signaled'; signal: string }
  | { type: 'killed'; by: 'user' }
  | { type: 'constructor-failed'; message: string }
  | { type: 'node-lost'; nodeId: string }
  | { type: 'out-of-memory'; detail?: string }
  | { type: 'owner-died'; ownerId: string }
  | { type: 'placement-group-removed'; groupId: string }
  | { type: 'lost'; detail: string };

export function describeDeath(cause: DeathCause): string {
  switch (cause.type) {
    case 'exited':
      return `its process exited with code ${cause.exitCode}`;
    case 'signaled':
      return `its process was killed by signal ${cause.signal}`;
    case 'killed':
      return 'it was killed by the user';
    case 'constructor-failed':
      return `its constructor failed: ${cause.message}`;
    case 'node-lost':
      return `its node ${cause.nodeId} was lost`;
    case 'out-of-memory':
      return `its process ran out of memory${cause.detail ? ` (${cause.detail})` : ''}`;
    case 'lost':
      return `its process was lost: ${cause.detail}`;
    case 'placement-group-removed':
      return `its placement group ${cause.groupId} was removed`;
    case 'owner-died':
      return cause.ownerId.startsWith('actor-')
        ? `the actor that owned it (${cause.ownerId}) died; spawn it with lifetime: 'detached' to outlive its owner`
        : `the driver that owned it (${cause.ownerId}) went away; spawn it with lifetime: 'detached' to outlive its driver`;
  }
}

export class ActorDiedError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.ACTOR_DIED, message, init);
  }
  static of(actorId: string, cause: DeathCause | undefined, method?: string): ActorDiedError {
    const why = cause ? describeDeath(cause) : 'it is no longer running';
    const what = method ? `call to ${method} failed: actor ${actorId} died` : `actor ${actorId} died`;
    return new ActorDiedError(`${what}: ${why}`, {
      context: { actorId, ...(method ? { method } : {}), death: cause ? JSON.stringify(cause) : undefined },
    });
  }
  /** The structured cause of death, when known. */
  get death(): DeathCause | undefined {
    const raw = this.context.death;
    return raw ? (JSON.parse(raw) as DeathCause) : undefined;
  }
}

export class ActorNotFoundError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.ACTOR_NOT_FOUND, message, init);
  }
}

export class NameTakenError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.NAME_TAKEN, message, init);
  }
}

export class ModuleLoadError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.MODULE_LOAD_FAILED, message, init);
  }
}

export class ActorConstructorError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.ACTOR_CONSTRUCTOR_FAILED, message, init);
  }
}

/** A method threw. `cause` is the thrown error rebuilt (a RemoteError or a TroupeError). */
export class ActorMethodError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.ACTOR_METHOD_FAILED, message, init);
  }
}

export class MethodNotFoundError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.METHOD_NOT_FOUND, message, init);
  }
}

// What `typeof` says of a thrown value that is no Error: a kind, not a class name to take on.
const VALUE_KINDS = new Set(['string', 'number', 'bigint', 'boolean', 'symbol', 'undefined', 'object', 'function']);

/**
 * An error thrown by user code in another process, rebuilt with what it had: its `name` is the
 * original class name (`TypeError`, `MyError`; also in `remoteName`), its `code` the original
 * string code when it had one (`troupeCode` stays REMOTE_ERROR), its stack in `remoteStack`.
 */
export class RemoteError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.REMOTE_ERROR, message, init);
  }
  override get name(): string {
    // Read while the base constructor runs too, before `context` is set.
    const remote = this.context?.remoteName;
    return remote && !VALUE_KINDS.has(remote) ? remote : 'RemoteError';
  }
  get remoteName(): string | undefined {
    return this.context.remoteName;
  }
  /** The string `code` the error had where it was thrown, if any. */
  get remoteCode(): string | undefined {
    return this.context.remoteCode;
  }
}

export class UnauthenticatedError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.UNAUTHENTICATED, message, init);
  }
}

export class MessageTooLargeError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.MESSAGE_TOO_LARGE, message, init);
  }
}

export class HeadUnavailableError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.HEAD_UNAVAILABLE, message, init);
  }
}

export class UnavailableError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.UNAVAILABLE, message, init);
  }
}

export class TimeoutError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.TIMEOUT, message, init);
  }
}

export class ShutDownError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.SHUT_DOWN, message, init);
  }
}

export class SerializationError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.SERIALIZATION, message, init);
  }
}

export class StateCorruptError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.STATE_CORRUPT, message, init);
  }
}

export class StateUnavailableError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.STATE_UNAVAILABLE, message, init);
  }
}

export class OwnerDiedError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.OWNER_DIED, message, init);
  }

  /** The id of the owner that died, when known (an object's descriptor or its holder named it). */
  get owner(): string | undefined {
    return this.context.owner;
  }
}

export class ObjectFreedError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.OBJECT_FREED, message, init);
  }
}

export class DeviceUnavailableError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.DEVICE_UNAVAILABLE, message, init);
  }
}

export class JobNotFoundError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.JOB_NOT_FOUND, message, init);
  }
}

export class InternalError extends TroupeError {
  constructor(message: string, init: TroupeErrorInit = {}) {
    super(ErrorCode.INTERNAL, message, init);
  }
}

export type ErrorClass = new (message: string, init?: TroupeErrorInit) => TroupeError;

export const CLASS_BY_CODE: Record<ErrorCode, ErrorClass> = {
  INVALID_ARGUMENT: InvalidArgumentError,
  RESOURCES_INFEASIBLE: ResourcesInfeasibleError,
  ACTOR_DIED: ActorDiedError,
  ACTOR_NOT_FOUND: ActorNotFoundError,
  NAME_TAKEN: NameTakenError,
  MODULE_LOAD_FAILED: ModuleLoadError,
  ACTOR_CONSTRUCTOR_FAILED: ActorConstructorError,
  ACTOR_METHOD_FAILED: ActorMethodError,
  METHOD_NOT_FOUND: MethodNotFoundError,
  REMOTE_ERROR: RemoteError,
  UNAUTHENTICATED: UnauthenticatedError,
  MESSAGE_TOO_LARGE: MessageTooLargeError,
  HEAD_UNAVAILABLE: HeadUnavailableError,
  UNAVAILABLE: UnavailableError,
  TIMEOUT: TimeoutError,
  SHUT_DOWN: ShutDownError,
  SERIALIZATION: SerializationError,
  STATE_CORRUPT: StateCorruptError,
  STATE_UNAVAILABLE: StateUnavailableError,
  OWNER_DIED: OwnerDiedError,
  OBJECT_FREED: ObjectFreedError,
  DEVICE_UNAVAILABLE: DeviceUnavailableError,
  JOB_NOT_FOUND: JobNotFoundError,
  INTERNAL: InternalError,
};
