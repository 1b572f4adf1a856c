/** `troupe cluster up | down | status FILE`. */
import { Command } from 'commander';
import {
  clusterDown,
  clusterStatus,
  clusterUp,
  loadClusterConfig,
  type Progress,
  type UpResult,
} from '../launcher/index.js';
import { UnavailableError } from '../common/index.js';
import { formatResources } from '../head/index.js';
import { formatStatus } from './status.js';
import { withHead } from './reach.js';

const progress: Progress = (node, message) => process.stderr.write(`[${node}] ${message}\n`);

function summary(r: UpResult, file: string, clusterName: string): string {
  const lines: string[] = [];
  if (r.unchanged)
    lines.push(
      `Cluster ${clusterName} is already up; nothing changed (${r.nodes.length} node${r.nodes.length > 1 ? 's' : ''} running).`,
    );
  else lines.push(`Cluster ${clusterName} is up in ${(r.elapsedMs / 1000).toFixed(1)} s.`);
  const alive = r.status?.nodes.filter((n) => n.state === 'ALIVE') ?? [];
  for (const o of r.nodes) lines.push(`  ${o.name.padEnd(12)} ${o.host.padEnd(16)} ${o.result}`);
  if (alive.length) {
    lines.push(`Nodes joined: ${alive.length}`);
    for (const n of alive) lines.push(`  ${n.nodeId}  ${n.address.padEnd(22)} ${formatResources(n.total)}`);
  }
  lines.push(
    '',
    `Head: ${r.address}`,
    `Use it: export TROUPE_ADDRESS=${r.address} TROUPE_TOKEN=$(troupe cluster token ${file})`,
  );
  return `${lines.join('\n')}\n`;
}

export function clusterCommand(): Command {
  const cmd = new Command('cluster').description(
    'start, stop and inspect a cluster of machines described by a cluster.yaml (over SSH)',
  );
  cmd
    .command('up')
    .argument('<file>', 'cluster.yaml')
    .description(
      'start the head and every worker over SSH (only what is not running yet) and check that every node joined',
    )
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const config = loadClusterConfig(file);
      const r = await clusterUp(config, progress);
      if (opts.json)
        process.stdout.write(`${JSON.stringify({ ...r, token: undefined, status: undefined }, null, 2)}\n`);
      else if (r.ok) process.stdout.write(summary(r, file, config.clusterName));
      if (!r.ok) throw new UnavailableError(r.problem, { context: { field: file } });
    });
  cmd
    .command('down')
    .argument('<file>', 'cluster.yaml')
    .description('stop the workers and the head of the cluster')
    .action(async (file: string) => {
      const config = loadClusterConfig(file);
      const r = await clusterDown(config, progress);
      for (const o of r.nodes)
        process.stdout.write(
          `  ${o.name.padEnd(12)} ${o.host.padEnd(16)} ${o.result}${o.result === 'stopped' || o.result === 'not running' ? '' : `: ${o.detail}`}\n`,
        );
      if (!r.ok)
        throw new UnavailableError(`cluster ${config.clusterName}: some nodes could not be stopped (see above)`, {
          context: { field: file },
        });
      process.stdout.write(`Cluster ${config.clusterName} is down.\n`);
    });
  cmd
    .command('status')
    .argument('<file>', 'cluster.yaml')
    .description("ask the cluster's head for its nodes and actors")
    .option('--json', 'print the status as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const config = loadClusterConfig(file);
      const { status } = await withHead(config.headAddress, () => clusterStatus(config));
      process.stdout.write(opts.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    });
  cmd
    .command('token')
    .argument('<file>', 'cluster.yaml')
    .description("print the cluster's token (read from the head's host over SSH unless the file sets one)")
    .action(async (file: string) => {
      const { clusterToken } = await import('../launcher/index.js');
      process.stdout.write(`${await clusterToken(loadClusterConfig(file))}\n`);
    });
  return cmd;
}
