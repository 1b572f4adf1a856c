/**
 * Errors on the wire: the plain `troupe.v1.ErrorInfo` form of any thrown value, bounded to fit a
 * gRPC reply, and its way back into the TroupeError class its code names.
 */
import {
  CLASS_BY_CODE,
  type ErrorClass,
  ErrorCode,
  InternalError,
  TroupeError,
  type TroupeErrorInit,
} from './errors.js';
import { composeStack } from './remote-stack.js';

/** Plain-object form of an error, matching the `troupe.v1.ErrorInfo` proto message. */
export interface ErrorInfo {
  code: string;
  message: string;
  remoteStack: string;
  context: Record<string, string>;
  cause?: ErrorInfo | null;
}

const MAX_CAUSE_DEPTH = 8;

/**
 * Bounds of an ErrorInfo on the wire. A failed unary call carries it in gRPC trailers, which have a
 * size limit: past it the reply never arrives and the caller waits out its deadline. So every
 * error is cut to fit, each cut saying how much was left out.
 */
export const ERROR_INFO_LIMITS = {
  message: 2048,
  stack: 4096,
  contextKeys: 16,
  contextValue: 256,
  total: 8192,
} as const;

/** `text` cut to `max` characters, saying how many bytes were left out. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… ${Buffer.byteLength(text.slice(max))} bytes more`;
}

/** `info` within ERROR_INFO_LIMITS: message, context and stack first, then causes while room is left. */
function bounded(info: ErrorInfo, budget: number): ErrorInfo {
  const L = ERROR_INFO_LIMITS;
  const message = cut(info.message, Math.max(64, Math.min(L.message, budget)));
  let left = budget - message.length;
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(info.context).slice(0, L.contextKeys)) {
    const value = cut(String(v), L.contextValue);
    context[cut(k, 64)] = value;
    left -= k.length + value.length;
  }
  const remoteStack = cut(info.remoteStack, Math.max(0, Math.min(L.stack, left)));
  left -= remoteStack.length;
  const cause = info.cause && left > 128 ? bounded(info.cause, left) : null;
  return { code: info.code, message, remoteStack, context, cause };
}

/**
 * Turns anything thrown into an ErrorInfo for the wire, within ERROR_INFO_LIMITS. Non-Troupe
 * errors become REMOTE_ERROR.
 */
export function errorToInfo(err: unknown): ErrorInfo {
  return bounded(rawInfo(err, 0), ERROR_INFO_LIMITS.total);
}

function rawInfo(err: unknown, depth: number): ErrorInfo {
  if (err instanceof TroupeError) {
    const context: Record<string, string> = {};
    for (const [k, v] of Object.entries(err.context)) if (v !== undefined) context[k] = v;
    return {
      code: err.troupeCode,
      message: err.message,
      remoteStack: err.remoteStack ?? err.stack ?? '',
      context,
      cause: depth < MAX_CAUSE_DEPTH && err.cause !== undefined ? rawInfo(err.cause, depth + 1) : null,
    };
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      code: ErrorCode.REMOTE_ERROR,
      message: err.message,
      remoteStack: err.stack ?? '',
      // The user's own name and string code go along, for the caller's `name` and `code`.
      context: { remoteName: err.name, ...(typeof code === 'string' && code ? { remoteCode: code } : {}) },
      cause: depth < MAX_CAUSE_DEPTH && err.cause !== undefined ? rawInfo(err.cause, depth + 1) : null,
    };
  }
  let text: string;
  try {
    text = typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
  } catch {
    text = String(err);
  }
  return { code: ErrorCode.REMOTE_ERROR, message: text, remoteStack: '', context: { remoteName: typeof err } };
}

/** Rebuilds the TroupeError subclass named by `info.code` (INTERNAL for unknown codes). */
export function errorFromInfo(info: ErrorInfo): TroupeError {
  const cls = (CLASS_BY_CODE as Record<string, ErrorClass | undefined>)[info.code];
  const cause = info.cause ? errorFromInfo(info.cause) : undefined;
  const init: TroupeErrorInit = { context: { ...info.context }, remoteStack: info.remoteStack || undefined };
  if (cause) init.cause = cause;
  const err = cls ? new cls(info.message, init) : new InternalError(`[${info.code}] ${info.message}`, init);
  // The remote frames first, then where this process was (the call path puts the caller there).
  err.stack = composeStack(err, info.remoteStack, err.stack);
  return err;
}
