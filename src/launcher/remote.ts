/**
 * The shell commands `troupe cluster` runs on each host. Secrets (token, state URL) go through the
 * command's stdin, never its command line, so they do not show in `ps` on the host.
 */
import type { ClusterConfig, NodeConfig } from './config.js';
import { shq } from './ssh.js';

/** Lists this node's live troupe daemons (`running head-123`) and, for a head, its token (`token ...`). */
export function probeCommand(node: NodeConfig): string {
  return [
    `D=${shq(node.runtimeDir)}`,
    'for f in "$D"/session_*/pids/*.pid; do',
    '  [ -f "$f" ] || continue',
    '  p=$(cat "$f")',
    // A pid is only ours if it still runs the troupe CLI (pids get reused).
    '  if kill -0 "$p" 2>/dev/null && grep -q -a -e troupe -e cli/main -e cli/worker-agent-main "/proc/$p/cmdline" 2>/dev/null; then echo "running $(basename "$f" .pid)"; fi',
    'done',
    'if [ -f "$D/session_latest/token" ]; then echo "token $(cat "$D/session_latest/token")"; fi',
    'true',
  ].join('\n');
}

export interface Probe {
  running: string[];
  token?: string;
}

export function parseProbe(stdout: string): Probe {
  const running: string[] = [];
  let token: string | undefined;
  for (const line of stdout.split('\n')) {
    if (line.startsWith('running ')) running.push(line.slice(8).trim());
    else if (line.startsWith('token ')) token = line.slice(6).trim();
  }
  return { running, token };
}

function cli(config: ClusterConfig, node: NodeConfig, args: string[]): string {
  return [
    'set -e',
    'umask 077',
    `export TROUPE_TMPDIR=${shq(node.runtimeDir)}`,
    'mkdir -p "$TROUPE_TMPDIR"',
    `cd ${shq(config.installDir)}`,
    `if [ ! -f dist/src/cli/main.js ]; then echo "troupe is not installed in ${config.installDir} (no dist/src/cli/main.js): set install_dir, or install it with a setup command" >&2; exit 3; fi`,
    `exec ${shq(config.node)} dist/src/cli/main.js ${args.map(shq).join(' ')}`,
  ].join('\n');
}

function resourceFlags(node: NodeConfig): string[] {
  const out: string[] = [];
  if (node.numCpus !== undefined) out.push('--num-cpus', String(node.numCpus));
  if (node.numGpus !== undefined) out.push('--num-gpus', String(node.numGpus));
  if (node.memory !== undefined) out.push('--memory', String(node.memory));
  if (node.resources && Object.keys(node.resources).length) out.push('--resources', JSON.stringify(node.resources));
  return out;
}

/** Starts the head as a daemon; stdin: the token, then the state URL (possibly empty). */
export function startHeadCommand(config: ClusterConfig): { command: string; stdin: (token: string) => string } {
  const args = [
    'start',
    '--head',
    '--daemon',
    '--host',
    config.head.host,
    '--port',
    String(config.headPort),
    ...resourceFlags(config.head),
  ];
  if (!config.headWorker) args.push('--no-worker');
  if (config.headAllowExecArgv) args.push('--allow-exec-argv');
  if (config.heartbeatPeriodMs !== undefined) args.push('--heartbeat-period-ms', String(config.heartbeatPeriodMs));
  if (config.heartbeatTimeoutMs !== undefined) args.push('--heartbeat-timeout-ms', String(config.heartbeatTimeoutMs));
  const secrets = [
    'IFS= read -r TROUPE_TOKEN',
    'IFS= read -r TROUPE_STATE || true',
    'export TROUPE_TOKEN',
    'if [ -n "$TROUPE_STATE" ]; then export TROUPE_STATE; else unset TROUPE_STATE; fi',
  ];
  return {
    command: [...secrets, cli(config, config.head, args)].join('\n'),
    stdin: (token) => `${token}\n${config.state ?? ''}\n`,
  };
}

/** Starts a worker daemon that joins the head; stdin: the token. */
export function startWorkerCommand(
  config: ClusterConfig,
  node: NodeConfig,
): { command: string; stdin: (token: string) => string } {
  const args = ['start', '--daemon', '--address', config.headAddress, '--host', node.host, ...resourceFlags(node)];
  return {
    command: ['IFS= read -r TROUPE_TOKEN', 'export TROUPE_TOKEN', cli(config, node, args)].join('\n'),
    stdin: (token) => `${token}\n`,
  };
}

/** Stops this node's daemons (workers of this node, or the head and its local worker). */
export function stopCommand(config: ClusterConfig, node: NodeConfig): string {
  return cli(config, node, ['stop', '--grace-ms', '10000']);
}

/** The setup commands, each in its own shell so one's `cd` does not leak into the next. */
export function setupCommand(command: string): string {
  return `set -e\n${command}`;
}
