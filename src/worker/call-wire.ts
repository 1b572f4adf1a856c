/**
 * The messages of ActorHostService.Calls as this process reads and writes them: the generated
 * troupe.v1 types, named for their role here.
 */
import type { ActorHostServiceHandlers } from '../generated/troupe/v1/ActorHostService.js';
import type { Call__Output } from '../generated/troupe/v1/Call.js';
import type { CallBatch__Output } from '../generated/troupe/v1/CallBatch.js';
import type { Result } from '../generated/troupe/v1/Result.js';

/** One call as it arrives. */
export type WireCall = Call__Output;
/** One batch of calls as it arrives. */
export type WireBatch = CallBatch__Output;
/** One result as this host sends it. */
export type WireResult = Result;
/** The server side of one caller's Calls stream. */
export type CallsStream = Parameters<ActorHostServiceHandlers['Calls']>[0];
