/** The common component's door: what other components may import. */
export * from './errors.js';
export { configureLogging, flushLogs, logger } from './logger.js';
export type { Logger, LoggingOptions } from './logger.js';
export { RefusalLog, peerAddress, type RefusalLogOptions } from './refusal-log.js';
export { RotatingLogFile, type LogRotation } from './log-file.js';
export { latestSession, markLatest, newSession, readIfExists, sessionPaths, troupeRoot } from './session.js';
export type { SessionPaths } from './session.js';
export { normalizeModule, toImportable } from './module-specifier.js';
export { withTimeout } from './timeout.js';
export * from './error-info.js';
export { atCallSite, CALLED_FROM } from './remote-stack.js';
export { MAX_TOKEN_LENGTH, checkToken } from './token.js';
export {
  actorGone,
  actorStarted,
  currentActor,
  hostRuntime,
  liveActor,
  onActorGone,
  runAsActor,
  setHostRuntime,
  trackActorScopes,
  type ActorScope,
  type HostRuntime,
} from './runtime-context.js';
