import * as grpc from '@grpc/grpc-js';
import { timingSafeEqual, createHash } from 'node:crypto';
import {
  TroupeError,
  ErrorCode,
  InternalError,
  UnauthenticatedError,
  MessageTooLargeError,
  HeadUnavailableError,
  UnavailableError,
  TimeoutError,
  InvalidArgumentError,
  errorToInfo,
  errorFromInfo,
  RefusalLog,
  type ErrorInfo,
} from '../common/index.js';
import { ErrorInfoType, MalformedRequest } from './protos.js';
import { listenError, listenTarget } from './listen.js';
import type { Logger } from '../common/index.js';

/** Metadata key carrying the cluster token on every RPC. */
export const TOKEN_METADATA_KEY = 'authorization';
/** Trailing metadata key carrying an encoded `troupe.v1.ErrorInfo` on failed unary calls. */
export const ERROR_METADATA_KEY = 'troupe-error-bin';
/** Default cap on one gRPC message, both directions; tensors travel on the data plane instead. */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export function channelOptions(maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): grpc.ChannelOptions {
  return {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    // Reconnect quickly on loopback; the defaults back off to 120 s.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 1_000,
  };
}

/** Options of every Troupe server: message caps, keepalive, and the token check on every call. */
export function serverOptions(
  auth: { token: string; log: Logger },
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES,
): grpc.ServerOptions {
  return {
    interceptors: [authInterceptor(new TokenGuard(auth.token), auth.log), strictInterceptor()],
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  };
}

/** A client interceptor that attaches the cluster token to every call. */
export function tokenInterceptor(token: string): grpc.Interceptor {
  const value = `Bearer ${token}`;
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set(TOKEN_METADATA_KEY, value);
        next(metadata, listener);
      },
    });
}

/** What a generated service constructor (`troupeV1.XxxService`) is. */
export type ClientConstructor<C extends grpc.Client> = new (
  address: string,
  credentials: grpc.ChannelCredentials,
  options?: grpc.ClientOptions,
) => C;

/**
 * A client of one service that sends the cluster token on every call. Pass `channel` (another
 * client's `getChannel()`) to share its connection: the head's services all live on one port.
 */
export function makeClient<C extends grpc.Client>(
  ctor: ClientConstructor<C>,
  address: string,
  token: string,
  maxMessageBytes?: number,
  channel?: ReturnType<grpc.Client['getChannel']>,
): C {
  return new ctor(address, grpc.credentials.createInsecure(), {
    ...channelOptions(maxMessageBytes),
    interceptors: [tokenInterceptor(token)],
    ...(channel ? { channelOverride: channel } : {}),
  });
}

/**
 * Refuses a call whose token is missing or wrong as soon as its metadata arrives, before any
 * message is read or decoded, so even garbage without a token gets UNAUTHENTICATED (and a log
 * line: the first from each address at once, the rest summed up per interval).
 */
export function authInterceptor(guard: TokenGuard, log: Logger): grpc.ServerInterceptor {
  const refusals = new RefusalLog(log, 'refused a call with a missing or wrong cluster token', { what: 'calls' });
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            if (guard.check(metadata)) {
              nextMetadata(metadata);
              return;
            }
            refusals.refused(call.getPeer(), 'missing or wrong cluster token', { method: method.path });
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details: `missing or wrong cluster token for ${method.path}`,
              metadata: new grpc.Metadata(),
            });
          },
        });
      },
    });
}

/**
 * Refuses a call whose request did not decode exactly (the deserializers of protos.ts hand over a
 * MalformedRequest for it) with INVALID_ARGUMENT and the reason, before any handler sees it. On a
 * stream it ends that stream only.
 */
export function strictInterceptor(): grpc.ServerInterceptor {
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMessage: (message, nextMessage) => {
            if (!(message instanceof MalformedRequest)) {
              nextMessage(message);
              return;
            }
            const status = toServiceError(new InvalidArgumentError(message.reason, { context: { field: 'request' } }));
            call.sendStatus({ code: status.code!, details: status.details!, metadata: status.metadata! });
          },
        });
      },
    });
}

/** Checks the token of an incoming call in constant time. */
class TokenGuard {
  private readonly digest: Buffer;
  constructor(token: string) {
    this.digest = createHash('sha256').update(token).digest();
  }
  check(metadata: grpc.Metadata): boolean {
    const raw = metadata.get(TOKEN_METADATA_KEY)[0];
    if (typeof raw !== 'string' || !raw.startsWith('Bearer ')) return false;
    const got = createHash('sha256').update(raw.slice('Bearer '.length)).digest();
    return timingSafeEqual(got, this.digest);
  }
}

const STATUS_BY_CODE: Partial<Record<string, grpc.status>> = {
  [ErrorCode.INVALID_ARGUMENT]: grpc.status.INVALID_ARGUMENT,
  [ErrorCode.RESOURCES_INFEASIBLE]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.ACTOR_NOT_FOUND]: grpc.status.NOT_FOUND,
  [ErrorCode.JOB_NOT_FOUND]: grpc.status.NOT_FOUND,
  [ErrorCode.NAME_TAKEN]: grpc.status.ALREADY_EXISTS,
  [ErrorCode.UNAUTHENTICATED]: grpc.status.UNAUTHENTICATED,
  [ErrorCode.MESSAGE_TOO_LARGE]: grpc.status.RESOURCE_EXHAUSTED,
  [ErrorCode.TIMEOUT]: grpc.status.DEADLINE_EXCEEDED,
  [ErrorCode.UNAVAILABLE]: grpc.status.UNAVAILABLE,
  [ErrorCode.HEAD_UNAVAILABLE]: grpc.status.UNAVAILABLE,
  [ErrorCode.ACTOR_DIED]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.MODULE_LOAD_FAILED]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.ACTOR_CONSTRUCTOR_FAILED]: grpc.status.FAILED_PRECONDITION,
  [ErrorCode.SHUT_DOWN]: grpc.status.CANCELLED,
};

/** Converts any thrown value into a gRPC status object that carries the ErrorInfo in trailers. */
export function toServiceError(err: unknown): Partial<grpc.StatusObject> {
  const info = errorToInfo(err);
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_METADATA_KEY, Buffer.from(ErrorInfoType.encode(ErrorInfoType.fromObject(info)).finish()));
  return { code: STATUS_BY_CODE[info.code] ?? grpc.status.UNKNOWN, details: info.message, metadata };
}

export function decodeErrorInfo(bytes: Buffer): ErrorInfo {
  const obj = ErrorInfoType.toObject(ErrorInfoType.decode(bytes), { defaults: true }) as ErrorInfo;
  return obj;
}

export type Peer = 'head' | 'worker' | 'actor';

/** Rebuilds the TroupeError behind a failed gRPC call, or describes a transport failure. */
export function fromServiceError(err: grpc.ServiceError, peer: Peer, address: string): TroupeError {
  const raw = err.metadata?.get(ERROR_METADATA_KEY)[0];
  if (Buffer.isBuffer(raw)) {
    try {
      return errorFromInfo(decodeErrorInfo(raw));
    } catch {
      // fall through to the status-based mapping
    }
  }
  const where = `the ${peer} at ${address}`;
  switch (err.code) {
    case grpc.status.UNAUTHENTICATED:
      return new UnauthenticatedError(
        `${where} refused the cluster token (${err.details}); pass the token printed by \`troupe start --head\` or set TROUPE_TOKEN`,
      );
    case grpc.status.RESOURCE_EXHAUSTED:
      return new MessageTooLargeError(
        `${where} refused a message: ${err.details}; keep large values out of call arguments, or raise maxMessageBytes on both sides`,
      );
    case grpc.status.UNAVAILABLE:
      return peer === 'head'
        ? new HeadUnavailableError(
            `cannot reach ${where}: ${err.details}; check that \`troupe start --head\` is running and the address is right`,
          )
        : new UnavailableError(`cannot reach ${where}: ${err.details}`);
    case grpc.status.DEADLINE_EXCEEDED:
      return new TimeoutError(`${where} did not answer in time: ${err.details}`);
    case grpc.status.INVALID_ARGUMENT:
      return new InvalidArgumentError(`${where} rejected the request: ${err.details}`);
    default:
      return new InternalError(`${where} failed: ${grpc.status[err.code] ?? err.code}: ${err.details}`);
  }
}

export type UnaryHandler<Req, Rep> = (request: Req, call: grpc.ServerUnaryCall<Req, Rep>) => Promise<Rep> | Rep;

/**
 * Wraps an async handler for a unary RPC, turning thrown errors into statuses carrying ErrorInfo.
 * The token was already checked by the server's interceptor (see `serverOptions`).
 */
export function unary<Req, Rep>(
  log: Logger,
  method: string,
  handler: UnaryHandler<Req, Rep>,
): grpc.handleUnaryCall<Req, Rep> {
  return (call, callback) => {
    let result: Promise<Rep>;
    try {
      result = Promise.resolve(handler(call.request, call));
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (reply) => callback(null, reply),
      (err: unknown) => {
        if (!(err instanceof TroupeError)) log.error({ err, method }, 'handler failed unexpectedly');
        callback(toServiceError(err));
      },
    );
  };
}

/** Binds a server on host:port (0 = any free port) and resolves to the bound port. */
export function bindServer(server: grpc.Server, host: string, port: number): Promise<number> {
  const target = listenTarget(host, port);
  return new Promise((resolve, reject) => {
    server.bindAsync(target, grpc.ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(listenError(host, port, err));
      else resolve(bound);
    });
  });
}

// A generated client's unary method: its last overload is `(argument, callback)`, which is the one
// conditional types match, so the request and reply types are read from it.
// biome-ignore lint/suspicious/noExplicitAny: matches any request and reply, to find the unary methods
type UnaryShape = (argument: any, callback: grpc.requestCallback<any>) => grpc.ClientUnaryCall;
type UnaryWithOptions<Req, Rep> = (
  argument: Req,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<Rep>,
) => grpc.ClientUnaryCall;
/** Names of the unary RPCs of a generated client (a client-streaming one's last overload takes one argument). */
export type UnaryName<C> = {
  [K in keyof C]: C[K] extends UnaryShape ? (Parameters<C[K]>['length'] extends 2 ? K : never) : never;
}[keyof C] &
  string;
/** The request a unary RPC of a generated client takes. */
export type RequestOf<C, M extends keyof C> = C[M] extends (argument: infer Req, callback: never) => unknown
  ? Req
  : never;
/** The reply a unary RPC of a generated client resolves to. */
export type ReplyOf<C, M extends keyof C> = C[M] extends (
  argument: never,
  callback: grpc.requestCallback<infer Rep>,
) => unknown
  ? Rep
  : never;

/** Promisified unary call of a generated client, with an optional deadline. */
export function callUnary<C extends grpc.Client, M extends UnaryName<C>>(
  client: C,
  method: M,
  request: RequestOf<C, M>,
  peer: Peer,
  address: string,
  timeoutMs?: number,
): Promise<ReplyOf<C, M>> {
  return new Promise((resolve, reject) => {
    const fn = client[method] as UnaryWithOptions<RequestOf<C, M>, ReplyOf<C, M>>;
    const options: grpc.CallOptions = {};
    if (timeoutMs !== undefined && timeoutMs > 0) options.deadline = Date.now() + timeoutMs;
    fn.call(client, request, options, (err, reply) => {
      if (err) reject(fromServiceError(err, peer, address));
      else resolve(reply as ReplyOf<C, M>);
    });
  });
}

export function closeServer(server: grpc.Server, graceMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
