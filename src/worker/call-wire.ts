/**
 * The messages of ActorService.Calls as this process reads and writes them (troupe.v1.CallBatch,
 * Call and Result). Declared by hand for now; generated wire types replace them.
 */
import type { ErrorInfo } from '../common/errors.js';
import type { ObjectLocation } from '../objects/plane.js';

export interface WireCall {
  seq: number;
  actorId: string;
  method: string;
  args: Buffer;
  argsObject?: ObjectLocation | null;
  storeAs?: string;
}

export interface WireBatch {
  calls: WireCall[];
  free?: string[];
  ownerId?: string;
}

export interface WireResult {
  seq: number;
  value?: Buffer;
  error?: ErrorInfo;
  stored?: ObjectLocation;
}
