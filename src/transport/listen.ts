/**
 * Listening cleanly: a check that a port is free before a server commits to it (so a head that
 * cannot serve never reloads its state or starts actors), and grpc-js's own log lines routed into
 * a Troupe logger instead of the terminal (its bind failure prints a bare `E No address added…`).
 */
import * as grpc from '@grpc/grpc-js';
import net from 'node:net';
import { format } from 'node:util';
import { UnavailableError, type Logger } from '../common/index.js';

/** `host:port`, with brackets around an IPv6 host. */
export function listenTarget(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The error for a port that cannot be listened on, naming the address and, when busy, saying so. */
export function listenError(host: string, port: number, cause: Error): UnavailableError {
  const target = listenTarget(host, port);
  const busy = /EADDRINUSE|address already in use/i.test(`${(cause as NodeJS.ErrnoException).code} ${cause.message}`);
  const why = busy
    ? `port ${port} is already in use (EADDRINUSE): another process, perhaps another troupe head, listens there`
    : cause.message;
  return new UnavailableError(`cannot listen on ${target}: ${why}`, {
    cause,
    context: { address: target, reason: busy ? 'EADDRINUSE' : ((cause as NodeJS.ErrnoException).code ?? 'bind') },
  });
}

/**
 * Resolves once `host:port` could be listened on (it is then released again); rejects with
 * `listenError` when not. Port 0 always succeeds. Another process may still take the port in
 * between: the server's own bind reports that case.
 */
export function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err) => reject(listenError(host, port, err)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** Sends grpc-js's log lines to `log` (as warnings, debug lines for its info and debug). */
export function routeGrpcLogs(log: Logger): void {
  grpc.setLogger({
    error: (message?: unknown, ...rest: unknown[]) => log.warn({ grpc: format(message, ...rest) }, 'grpc-js'),
    info: (message?: unknown, ...rest: unknown[]) => log.debug({ grpc: format(message, ...rest) }, 'grpc-js'),
    debug: (message?: unknown, ...rest: unknown[]) => log.debug({ grpc: format(message, ...rest) }, 'grpc-js'),
  });
}
