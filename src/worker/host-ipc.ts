import type { ErrorInfo } from '../common/errors.js';

/** Messages from the worker agent to an actor host process (over the fork IPC channel). */
export type AgentToHost =
  | {
      type: 'create';
      reqId: number;
      actorId: string;
      module: string;
      exportName: string;
      args: Uint8Array;
      maxConcurrency: number;
      /** Applied to process.env before the module is imported (CUDA_VISIBLE_DEVICES among them). */
      env: Record<string, string>;
    }
  | { type: 'destroy'; actorId: string; cause: string };

/** Messages from an actor host process to its agent. */
export type HostToAgent =
  | { type: 'ready'; port: number }
  | { type: 'created'; reqId: number }
  | { type: 'create-failed'; reqId: number; error: ErrorInfo };
