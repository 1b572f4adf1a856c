import type { ErrorInfo } from '../common/index.js';

/** Messages from the worker agent to an actor host process (over the fork IPC channel). */
export type AgentToHost =
  /** The first message of all: the cluster token, which never travels in the host's environment. */
  | { type: 'init'; token: string; headAddress: string }
  | {
      type: 'create';
      reqId: number;
      actorId: string;
      module: string;
      exportName: string;
      args: Uint8Array;
      maxConcurrency: number;
      /** Several actors share the process (isolation 'shared'). */
      shared: boolean;
      /** What the actor's code sees of itself (getRuntimeContext). */
      scope: {
        nodeId: string;
        namespace: string;
        jobId: string;
        numRestarts: number;
        resources: Record<string, number>;
        gpuIds: number[];
      };
      /** Applied to process.env before the module is imported (CUDA_VISIBLE_DEVICES among them). */
      env: Record<string, string>;
      /**
       * Given only to Troupe's own job supervisor, which calls the head: passed to its constructor
       * after its arguments, so that the token is in neither its spec (stored by the head) nor its environment.
       */
      clusterToken?: string;
    }
  | { type: 'destroy'; actorId: string; cause: string }
  /** The agent is alive. A host that hears none for `silenceMs` stops: its agent is frozen or
   * gone, its node will be declared dead, and its actors restarted elsewhere must not run twice. */
  | { type: 'tick'; silenceMs: number }
  /** Actors in the cluster (0: the head does not say): pushed when it changes, or the answer to `count-actors`. */
  | { type: 'actor-count'; count: number; reqId?: number };

/** Messages from an actor host process to its agent. */
export type HostToAgent =
  | { type: 'ready'; port: number }
  | { type: 'created'; reqId: number }
  | { type: 'create-failed'; reqId: number; error: ErrorInfo }
  /** Asks the agent to ask the head how many actors exist (a collective open larger than the count heard). */
  | { type: 'count-actors'; reqId: number };
