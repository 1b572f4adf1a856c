/**
 * The `.stack` of an error rebuilt from the wire, as a Ray user sees one: the remote error's
 * `name: message` and its frames first, then the local call site after a separator, and never the
 * frames of grpc-js, Node or Troupe's own runtime (they say where the reply was decoded or who
 * called the user's method, which helps no one).
 */
import { fileURLToPath } from 'node:url';

/** The line between the remote frames and the local call site. */
export const CALLED_FROM = '    --- called from ---';

const FRAME = /^\s+at /;
// Frames of the transport and of Node itself: where a reply was decoded, not where anything failed.
const INTERNAL = /[\\/]node_modules[\\/]@grpc[\\/]|\(node:|^\s+at node:/;
// Troupe's own code (this folder's parent, `src/` or `dist/src/`): the runtime that called the
// user's method or carried its reply. The full remote stack stays in `remoteStack`.
const OWN_DIR = fileURLToPath(new URL('..', import.meta.url));
const OWN_URL = new URL('..', import.meta.url).href;

/** The frame lines of a stack, without grpc-js, Node and Troupe frames. */
function frames(stack: string): string[] {
  return stack
    .split('\n')
    .filter((l) => FRAME.test(l) && !INTERNAL.test(l) && !l.includes(OWN_DIR) && !l.includes(OWN_URL));
}

/** The lines of a stack before its first frame: `name: message`, over several lines if the message has them. */
function header(stack: string): string {
  const lines = stack.split('\n');
  const first = lines.findIndex((l) => FRAME.test(l));
  return (first < 0 ? lines : lines.slice(0, first)).join('\n').trimEnd();
}

/**
 * The stack of `err` (rebuilt here from a remote error): its own `name: message`, the remote
 * error's header when it differs (the user's `TypeError: ...` under an ActorMethodError), the
 * remote frames, then the local frames of `localStack` after CALLED_FROM.
 */
export function composeStack(err: Error, remoteStack: string, localStack: string | undefined): string {
  const own = `${err.name}: ${err.message}`;
  const lines = [own];
  if (remoteStack) {
    const remoteHeader = header(remoteStack);
    if (remoteHeader && remoteHeader !== own) lines.push(remoteHeader);
    lines.push(...frames(remoteStack));
  }
  lines.push(CALLED_FROM, ...frames(localStack ?? ''));
  return lines.join('\n');
}

/**
 * Puts the caller's own frames after CALLED_FROM in the stack of a rebuilt remote error (its local
 * part was captured where the reply arrived). Call it where the caller's promise rejects, inside an
 * async function the caller awaits: V8's async stack then reaches the caller's line. `skip` is
 * that function, left out with everything above it. Other errors are returned unchanged.
 */
export function atCallSite<E>(err: E, skip: (...args: never[]) => unknown): E {
  if (!(err instanceof Error) || typeof err.stack !== 'string') return err;
  const at = err.stack.indexOf(`\n${CALLED_FROM}`);
  if (at < 0) return err;
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, skip);
  err.stack = [err.stack.slice(0, at), CALLED_FROM, ...frames(site.stack ?? '')].join('\n');
  return err;
}
