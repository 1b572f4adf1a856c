/**
 * What a cluster token may be: it rides in gRPC metadata (printable ASCII only) and in the data
 * plane's and the collectives' HELLO frames (1 KiB at most), so a token outside these bounds would
 * only fail later, on the first connection, far from where it was given.
 */
import { InvalidArgumentError } from './errors.js';

export const MAX_TOKEN_LENGTH = 1024;
const TOKEN = /^[\x21-\x7e]+$/;

/** Throws an InvalidArgumentError naming `field` unless `token` is 1-1024 printable ASCII characters. */
export function checkToken(token: string, field = '--token'): void {
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN.test(token)) {
    throw new InvalidArgumentError(
      `${field} must be 1-${MAX_TOKEN_LENGTH} printable ASCII characters without spaces ` +
        `(it travels in gRPC metadata and HELLO frames), got ${token.length} characters` +
        (TOKEN.test(token) || token.length === 0 ? '' : ' with others among them'),
      { context: { field } },
    );
  }
}
