/**
 * `troupe cluster up | down | status` for a cluster.yaml: over SSH to every host, setup commands,
 * the head, then the workers as daemons, and a check that every node joined the head. Running `up`
 * again starts only what is missing and says so; on any failure it reports what runs and what not.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type Cluster, type ClusterStatus } from '../client/index.js';
import { TroupeError, UnavailableError } from '../common/index.js';
import type { ClusterConfig, NodeConfig } from './config.js';
import {
  parseProbe,
  probeCommand,
  setupCommand,
  startHeadCommand,
  startWorkerCommand,
  stopCommand,
  type Probe,
} from './remote.js';
import { SshHost } from './ssh.js';

/** Progress lines (`[w1 10.0.0.2] started in 1.2 s`); the CLI prints them, tests collect them. */
export type Progress = (node: string, message: string) => void;

export interface NodeOutcome {
  name: string;
  host: string;
  /** 'started', 'running' (was already), 'failed', 'unreachable', 'stopped', 'not running'. */
  result: string;
  detail: string;
}

export interface UpResult {
  ok: boolean;
  /** Nothing was started: everything ran already. */
  unchanged: boolean;
  address: string;
  token: string;
  nodes: NodeOutcome[];
  status?: ClusterStatus;
  elapsedMs: number;
  /** What went wrong, in words (empty when ok). */
  problem: string;
}

const allNodes = (c: ClusterConfig): NodeConfig[] => [c.head, ...c.workers];

/** Connects to every node's host; returns the connections and the nodes that could not be reached. */
async function connectAll(
  config: ClusterConfig,
  nodes: NodeConfig[],
  progress: Progress,
): Promise<{ hosts: Map<string, SshHost>; failures: Map<string, TroupeError> }> {
  const hosts = new Map<string, SshHost>();
  const failures = new Map<string, TroupeError>();
  await Promise.all(
    nodes.map(async (n) => {
      progress(n.name, `connecting to ${n.ssh.user}@${n.host}:${n.ssh.port}`);
      try {
        hosts.set(n.name, await SshHost.connect(n.ssh, config.knownHosts));
      } catch (err) {
        failures.set(n.name, asTroupe(err));
        progress(n.name, `FAILED: ${asTroupe(err).message}`);
      }
    }),
  );
  return { hosts, failures };
}

function asTroupe(err: unknown): TroupeError {
  return err instanceof TroupeError ? err : new UnavailableError((err as Error)?.message ?? String(err));
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function clusterUp(config: ClusterConfig, progress: Progress): Promise<UpResult> {
  const t0 = performance.now();
  const nodes = allNodes(config);
  const outcome = new Map<string, NodeOutcome>(
    nodes.map((n) => [n.name, { name: n.name, host: n.host, result: 'not started', detail: '' }]),
  );
  const result = (ok: boolean, problem: string, token: string, status?: ClusterStatus): UpResult => ({
    ok,
    unchanged: ok && [...outcome.values()].every((o) => o.result === 'running'),
    address: config.headAddress,
    token,
    nodes: [...outcome.values()],
    status,
    elapsedMs: performance.now() - t0,
    problem,
  });
  const { hosts, failures } = await connectAll(config, nodes, progress);
  try {
    if (failures.size > 0) {
      // Nothing is started unless every host answers: no half-started cluster from an unreachable host.
      for (const [name, err] of failures)
        Object.assign(outcome.get(name)!, { result: 'unreachable', detail: err.message });
      const names = [...failures.keys()].join(', ');
      return result(
        false,
        `cannot reach ${names} over SSH; nothing was started:\n${[...failures.values()].map((e) => `  ${e.message}`).join('\n')}`,
        '',
      );
    }
    const probes = new Map<string, Probe>();
    await Promise.all(
      nodes.map(async (n) =>
        probes.set(
          n.name,
          parseProbe((await hosts.get(n.name)!.run('checking for running daemons', probeCommand(n))).stdout),
        ),
      ),
    );
    const headProbe = probes.get('head')!;
    const headRunning = headProbe.running.some((r) => r.startsWith('head-'));
    const token = config.token ?? (headRunning ? headProbe.token : undefined) ?? randomBytes(24).toString('base64url');
    if (headRunning && config.token && headProbe.token && headProbe.token !== config.token) {
      return result(
        false,
        `a head of cluster ${config.clusterName} runs on ${config.head.host} with another token than ${config.file} gives; run \`troupe cluster down ${config.file}\` first`,
        token,
      );
    }
    if (headRunning && !config.token && !headProbe.token) {
      return result(
        false,
        `a head of cluster ${config.clusterName} runs on ${config.head.host} but its token file is gone; run \`troupe cluster down ${config.file}\` first`,
        token,
      );
    }

    // The head first: workers need its address.
    const head = hosts.get('head')!;
    if (headRunning) {
      Object.assign(outcome.get('head')!, { result: 'running', detail: 'already running' });
      progress('head', `already running (${config.headAddress})`);
    } else {
      try {
        await startNode(config, config.head, head, token, progress);
        Object.assign(outcome.get('head')!, { result: 'started', detail: config.headAddress });
      } catch (err) {
        Object.assign(outcome.get('head')!, { result: 'failed', detail: asTroupe(err).message });
        return result(
          false,
          `the head on ${config.head.host} did not come up; no worker was started:\n  ${asTroupe(err).message}`,
          token,
        );
      }
    }
    await Promise.all(
      config.workers.map(async (w) => {
        const o = outcome.get(w.name)!;
        if (probes.get(w.name)!.running.some((r) => r.startsWith('worker-'))) {
          Object.assign(o, { result: 'running', detail: 'already running' });
          progress(w.name, 'already running');
          return;
        }
        try {
          await startNode(config, w, hosts.get(w.name)!, token, progress);
          Object.assign(o, { result: 'started', detail: '' });
        } catch (err) {
          Object.assign(o, { result: 'failed', detail: asTroupe(err).message });
          progress(w.name, `FAILED: ${asTroupe(err).message}`);
        }
      }),
    );
    const failed = [...outcome.values()].filter((o) => o.result === 'failed');
    progress('head', 'waiting for every node to join');
    const verified = await verify(config, token, progress);
    if (failed.length > 0 || verified.missing.length > 0) {
      const lines = [
        ...failed.map((o) => `  ${o.name} (${o.host}): did not start: ${o.detail}`),
        ...verified.missing
          .filter((m) => !failed.some((f) => f.name === m.name))
          .map((m) => `  ${m.name} (${m.host}): ${m.why}`),
      ];
      const up = [...outcome.values()]
        .filter((o) => o.result === 'started' || o.result === 'running')
        .map((o) => o.name);
      return result(
        false,
        `cluster ${config.clusterName} is only partly up. Running: ${up.join(', ') || 'nothing'}. Not joined:\n${lines.join('\n')}\nRun \`troupe cluster up ${config.file}\` again to retry what is missing, or \`troupe cluster down ${config.file}\` to stop what runs.`,
        token,
        verified.status,
      );
    }
    return result(true, '', token, verified.status);
  } finally {
    for (const h of hosts.values()) h.close();
  }
}

async function startNode(
  config: ClusterConfig,
  node: NodeConfig,
  host: SshHost,
  token: string,
  progress: Progress,
): Promise<void> {
  const t = performance.now();
  for (const [i, cmd] of node.setupCommands.entries()) {
    progress(node.name, `setup ${i + 1}/${node.setupCommands.length}: ${cmd}`);
    await host.run(`setup command ${i + 1} (${cmd})`, setupCommand(cmd), { timeoutMs: 30 * 60_000 });
  }
  const start = node.role === 'head' ? startHeadCommand(config) : startWorkerCommand(config, node);
  progress(node.name, `starting the ${node.role}`);
  await host.run(`starting the ${node.role}`, start.command, { stdin: start.stdin(token), timeoutMs: 60_000 });
  progress(node.name, `started in ${seconds(performance.now() - t)}`);
}

interface Missing {
  name: string;
  host: string;
  why: string;
}

const hostOf = (address: string): string => address.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');

/** Polls the head until every configured node has an ALIVE node at its host (or the time is up). */
async function verify(
  config: ClusterConfig,
  token: string,
  progress: Progress,
): Promise<{ status?: ClusterStatus; missing: Missing[] }> {
  const expected = new Map<string, NodeConfig[]>();
  for (const n of [...(config.headWorker ? [config.head] : []), ...config.workers])
    expected.set(n.host, [...(expected.get(n.host) ?? []), n]);
  const deadline = Date.now() + config.verifyTimeoutMs;
  let cluster: Cluster | undefined;
  let lastError = '';
  let status: ClusterStatus | undefined;
  const reported = new Set<string>();
  try {
    for (;;) {
      try {
        cluster ??= await connect({ address: config.headAddress, token, headTimeoutMs: 5_000 });
        status = await cluster.status();
        const missing: Missing[] = [];
        for (const [host, want] of expected) {
          const alive = status.nodes.filter((n) => n.state === 'ALIVE' && hostOf(n.address) === host);
          want.forEach((n, i) => {
            if (i < alive.length) {
              if (!reported.has(n.name)) progress(n.name, `joined as ${alive[i]!.nodeId} (${alive[i]!.address})`);
              reported.add(n.name);
            } else
              missing.push({
                name: n.name,
                host,
                why: `no node at ${host} joined the head within ${config.verifyTimeoutMs / 1000} s`,
              });
          });
        }
        if (missing.length === 0 || Date.now() > deadline) return { status, missing };
      } catch (err) {
        lastError = asTroupe(err).message;
        if (Date.now() > deadline || asTroupe(err).code === 'UNAUTHENTICATED') {
          return {
            missing: [
              {
                name: 'head',
                host: config.head.host,
                why: `the head at ${config.headAddress} does not answer: ${lastError}`,
              },
            ],
          };
        }
      }
      await sleep(200);
    }
  } finally {
    await cluster?.shutdown().catch(() => undefined);
  }
}

/** Stops every node's daemons, workers first; unreachable hosts are reported, the rest still stopped. */
export async function clusterDown(
  config: ClusterConfig,
  progress: Progress,
): Promise<{ ok: boolean; nodes: NodeOutcome[] }> {
  const nodes = allNodes(config);
  const { hosts, failures } = await connectAll(config, nodes, progress);
  const out: NodeOutcome[] = [];
  try {
    const stop = async (n: NodeConfig): Promise<void> => {
      const failure = failures.get(n.name);
      if (failure) {
        out.push({ name: n.name, host: n.host, result: 'unreachable', detail: failure.message });
        return;
      }
      try {
        const r = await hosts.get(n.name)!.run(`stopping the ${n.role}`, stopCommand(config, n), { timeoutMs: 60_000 });
        const line = r.stdout.trim().split('\n').pop() ?? '';
        const stopped = line.startsWith('Stopped');
        out.push({ name: n.name, host: n.host, result: stopped ? 'stopped' : 'not running', detail: line });
        progress(n.name, line);
      } catch (err) {
        out.push({ name: n.name, host: n.host, result: 'failed', detail: asTroupe(err).message });
        progress(n.name, `FAILED: ${asTroupe(err).message}`);
      }
    };
    await Promise.all(config.workers.map(stop));
    await stop(config.head);
  } finally {
    for (const h of hosts.values()) h.close();
  }
  return { ok: out.every((o) => o.result === 'stopped' || o.result === 'not running'), nodes: out };
}

/** The token of a running cluster: from the file, else read from the head's host. */
export async function clusterToken(config: ClusterConfig): Promise<string> {
  if (config.token) return config.token;
  const host = await SshHost.connect(config.head.ssh, config.knownHosts);
  try {
    const probe = parseProbe((await host.run('reading the cluster token', probeCommand(config.head))).stdout);
    if (!probe.running.some((r) => r.startsWith('head-')) || !probe.token) {
      throw new UnavailableError(
        `no head of cluster ${config.clusterName} runs on ${config.head.host}; start it with \`troupe cluster up ${config.file}\``,
        { context: { host: config.head.host } },
      );
    }
    return probe.token;
  } finally {
    host.close();
  }
}

/** Asks the head for the cluster's status. */
export async function clusterStatus(config: ClusterConfig): Promise<{ status: ClusterStatus; token: string }> {
  const token = await clusterToken(config);
  const cluster = await connect({ address: config.headAddress, token, headTimeoutMs: 5_000 });
  try {
    return { status: await cluster.status(), token };
  } finally {
    await cluster.shutdown();
  }
}
