import { connect, type ActorInfo, type ClusterStatus } from '../client/index.js';
import { InvalidArgumentError } from '../common/index.js';
import { latestSession, readIfExists } from '../common/index.js';
import { compareResourceNames, formatAmount } from '../head/index.js';
import { withHead } from './reach.js';

/** Address and token from flags, then TROUPE_ADDRESS / TROUPE_TOKEN, then the latest local head session. */
export function resolveTarget(flags: { address?: string; token?: string }): { address: string; token: string } {
  const session = latestSession();
  const address =
    flags.address ?? (process.env.TROUPE_ADDRESS || undefined) ?? (session && readIfExists(session.addressFile));
  if (!address) {
    throw new InvalidArgumentError(
      'no cluster to ask: pass --address HOST:PORT, set TROUPE_ADDRESS, or start a head here with `troupe start --head`',
      {
        context: { field: '--address' },
      },
    );
  }
  const token = flags.token ?? (process.env.TROUPE_TOKEN || undefined) ?? (session && readIfExists(session.tokenFile));
  if (!token) {
    throw new InvalidArgumentError(`asking ${address} needs the cluster token: pass --token or set TROUPE_TOKEN`, {
      context: { field: '--token' },
    });
  }
  return { address, token };
}

export async function statusCommand(flags: { address?: string; token?: string; json?: boolean }): Promise<void> {
  const { address, token } = resolveTarget(flags);
  await withHead(address, async () => {
    const cluster = await connect({ address, token });
    try {
      const status = await cluster.status();
      process.stdout.write(flags.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
    } finally {
      await cluster.shutdown();
    }
  });
}

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return `${rows
    .map(
      (r) =>
        '  ' +
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
    )
    .join('\n')}\n`;
}

export function formatStatus(s: ClusterStatus): string {
  const alive = s.nodes.filter((n) => n.state === 'ALIVE');
  const names = [...new Set(alive.flatMap((n) => Object.keys(n.total)))].sort(compareResourceNames);
  let out = `Cluster at ${s.headAddress} (head up ${duration(Date.now() - s.startedAtMs)}, state in ${s.stateStore || 'memory'})\n\n`;
  out += `Nodes: ${alive.length} alive, ${s.nodes.length - alive.length} dead\n`;
  const rows = [['NODE', 'ADDRESS', 'STATE', ...names.map((n) => `${n} used/total`), 'ACTORS']];
  for (const n of s.nodes) {
    rows.push([
      n.nodeId,
      n.address,
      n.awaitingWorker ? 'ALIVE (awaiting worker)' : n.state,
      ...names.map((r) => {
        const total = n.total[r];
        if (total === undefined) return '-';
        const used = n.state === 'ALIVE' ? total - (n.available[r] ?? 0) : 0;
        return `${formatAmount(r, round(used))}/${formatAmount(r, total)}`;
      }),
      String(n.numActors),
    ]);
  }
  out += table(rows);
  const by = s.actorsByState;
  out += `\nActors: ${by.ALIVE} alive, ${by.PENDING} pending, ${by.CREATING} creating, ${by.RESTARTING} restarting, ${by.DEAD} dead\n`;
  const live = s.actors.filter((a) => a.state !== 'DEAD');
  if (live.length) {
    const arows = [['ACTOR', 'CLASS', 'NAME', 'STATE', 'NODE', 'PID', 'OWNER (its owner …)']];
    const byId = new Map(s.actors.map((a) => [a.actorId, a]));
    for (const a of live.slice(0, 50)) {
      arows.push([
        a.actorId,
        a.className,
        a.name ? `${a.namespace}/${a.name}` : '-',
        a.state,
        a.nodeId || '-',
        a.pid ? String(a.pid) : '-',
        ownerChain(a, byId),
      ]);
    }
    out += table(arows);
    if (live.length > 50) out += `  ... and ${live.length - 50} more (use --json)\n`;
  }
  const groups = s.placementGroups.filter((g) => g.state !== 'REMOVED');
  if (s.placementGroups.length > 0) {
    const count = (st: string): number => s.placementGroups.filter((g) => g.state === st).length;
    out += `\nPlacement groups: ${count('CREATED')} created, ${count('PENDING')} pending, ${count('RESCHEDULING')} rescheduling, ${count('REMOVED')} removed\n`;
  }
  if (groups.length) {
    const grows = [['GROUP', 'NAME', 'STRATEGY', 'STATE', 'BUNDLES (resources @ node)']];
    for (const g of groups.slice(0, 50)) {
      const bundles = g.bundles
        .map(
          (b) =>
            `{${Object.entries(b.resources)
              .map(([k, v]) => `${k}: ${formatAmount(k, v)}`)
              .join(', ')}} @ ${b.nodeId || '-'}`,
        )
        .join('; ');
      grows.push([
        g.placementGroupId,
        g.name ? `${g.namespace}/${g.name}` : '-',
        g.strategy,
        g.reason && g.state !== 'CREATED' ? `${g.state} (${g.reason})` : g.state,
        bundles,
      ]);
    }
    out += table(grows);
    if (groups.length > 50) out += `  ... and ${groups.length - 50} more (use --json)\n`;
  }
  return out;
}

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

/**
 * Who owns an actor, and who owns that owner, up to a driver: `actor-b ← actor-a ← driver-x`
 * (`detached` for one that outlives its owner). Four links at most; a cycle cannot form.
 */
export function ownerChain(a: ActorInfo, byId: ReadonlyMap<string, ActorInfo>): string {
  if (a.lifetime === 'detached') return a.ownerId ? `detached (made by ${a.ownerId})` : 'detached';
  const chain: string[] = [];
  let id = a.ownerId;
  while (id && chain.length < 4) {
    chain.push(id);
    const owner = byId.get(id);
    id = owner && owner.lifetime !== 'detached' ? owner.ownerId : '';
  }
  if (id) chain.push('…');
  return chain.length ? chain.join(' ← ') : '-';
}
