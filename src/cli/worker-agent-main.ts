/**
 * The head machine's worker agent as a process of its own (as Ray runs the head node's raylet
 * beside the GCS), so that a crash of the head spares the actors on its machine. Forked by
 * `troupe start --head` (see local-agent.ts) with an IPC channel: the first message carries the
 * token and the agent's options, never argv or the environment, where actors could read them.
 * The agent answers once it has registered, then lets the channel go: from there on it lives
 * on its own, waits out a head that is down, and registers again when the head comes back.
 */
import { writeFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { configureLogging, flushLogs, logger, sessionPaths } from '../common/index.js';
import { routeGrpcLogs } from '../transport/index.js';
import { WorkerAgent, type WorkerOptions } from '../worker/index.js';
import type { AgentReady, AgentToHead, HeadToAgent } from './local-agent-ipc.js';

async function run(msg: HeadToAgent): Promise<void> {
  const session = sessionPaths(msg.sessionDir);
  configureLogging({ file: path.join(session.logs, `worker-${process.pid}.log`), name: 'worker' });
  routeGrpcLogs(logger('grpc'));
  const pidFile = path.join(session.pidDir, `worker-${process.pid}.pid`);
  const readyFile = path.join(session.dir, `agent-${process.pid}.json`);
  writeFileSync(pidFile, String(process.pid));
  const options: WorkerOptions = { ...msg.options, token: msg.token, logDir: session.logs };
  const worker = new WorkerAgent(options);
  const stop = async (signal: string): Promise<void> => {
    process.stdout.write(`troupe: ${signal}, stopping worker agent ${process.pid}\n`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await worker.stop().catch(() => undefined);
    rmSync(pidFile, { force: true });
    rmSync(readyFile, { force: true });
    flushLogs();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  try {
    await worker.start();
  } catch (err) {
    rmSync(pidFile, { force: true });
    throw err;
  }
  const ready: AgentReady = {
    type: 'ready',
    pid: process.pid,
    nodeId: worker.nodeId,
    address: worker.address,
    resources: await worker.resources(),
  };
  // For a head restarted after a crash, which finds this agent instead of starting another.
  writeFileSync(`${readyFile}.tmp`, JSON.stringify(ready));
  renameSync(`${readyFile}.tmp`, readyFile);
  send(ready);
}

function send(msg: AgentToHead): void {
  process.send?.(msg, undefined, {}, () => {
    // The head no longer needs the channel; the agent must not depend on it.
    if (process.connected) process.disconnect();
  });
}

if (!process.send) {
  process.stderr.write('troupe: worker-agent-main is started by `troupe start --head`, not by hand\n');
  process.exit(2);
}
process.once('message', (msg: HeadToAgent) => {
  run(msg).catch((err: unknown) => {
    const e = err as { message?: string; code?: string };
    send({ type: 'failed', message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : '' });
    flushLogs();
    setTimeout(() => process.exit(1), 100);
  });
});
