/** The messages between `troupe start --head` and the worker agent it forks (worker-agent-main.ts). */
import type { WorkerOptions } from '../worker/index.js';

/** The head's one message: who to join, with what token and options, and where the session lives. */
export interface HeadToAgent {
  type: 'start';
  token: string;
  sessionDir: string;
  options: Omit<WorkerOptions, 'token' | 'logDir'>;
}

/** The agent registered with the head; also written to `<session>/agent-<pid>.json`. */
export interface AgentReady {
  type: 'ready';
  pid: number;
  nodeId: string;
  address: string;
  resources: Record<string, number>;
}

/** The agent could not start (its error's message and code). */
export interface AgentFailed {
  type: 'failed';
  message: string;
  code: string;
}

export type AgentToHead = AgentReady | AgentFailed;
