/**
 * A lab of Linux network namespaces joined by a bridge, so that a head and workers on one machine
 * have their own addresses and links that can be cut: `ip netns`, veth pairs, a bridge, root only.
 * Names carry this process's pid, so parallel runs do not clash; `destroy()` removes everything
 * (and kills what still runs inside) even after a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface LabNode {
  /** Namespace name. */
  ns: string;
  ip: string;
  /** The veth end in the root namespace (on the bridge). */
  hostVeth: string;
}

/** Why namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'network namespace tests need root (ip netns)';
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (r.error || r.status !== 0)
    return `\`ip netns\` is not available (${r.error?.message ?? r.stderr.trim()}); apt-get install iproute2`;
  return undefined;
}

const ip = (...args: string[]): string =>
  execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

export class NetnsLab {
  readonly nodes: LabNode[] = [];
  readonly bridge: string;
  readonly gateway: string;
  private readonly subnet: string;
  private destroyed = false;

  constructor(count: number, label = 't') {
    const tag = `${label}${(process.pid % 46656).toString(36)}${Math.floor(Math.random() * 36 ** 2).toString(36)}`;
    this.bridge = `trb${tag}`.slice(0, 15);
    // A /24 in 10.208.0.0/12 picked from the pid; skipped when the host routes it already.
    let third = process.pid % 250;
    const second = 208 + (Math.floor(process.pid / 250) % 16);
    while (ip('route', 'show', `10.${second}.${third}.0/24`).trim()) third = (third + 1) % 250;
    this.subnet = `10.${second}.${third}`;
    this.gateway = `${this.subnet}.1`;
    try {
      ip('link', 'add', this.bridge, 'type', 'bridge');
      ip('addr', 'add', `${this.gateway}/24`, 'dev', this.bridge);
      ip('link', 'set', this.bridge, 'up');
      for (let i = 0; i < count; i++) {
        const ns = `tr${tag}n${i}`;
        const hostVeth = `trv${tag}${i}`.slice(0, 15);
        const inner = `tri${tag}${i}`.slice(0, 15);
        const addr = `${this.subnet}.${i + 2}`;
        ip('netns', 'add', ns);
        this.nodes.push({ ns, ip: addr, hostVeth });
        ip('link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', inner);
        ip('link', 'set', inner, 'netns', ns);
        ip('link', 'set', hostVeth, 'master', this.bridge);
        ip('link', 'set', hostVeth, 'up');
        ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${addr}/24`, 'dev', inner);
        ip('netns', 'exec', ns, 'ip', 'link', 'set', inner, 'up');
        ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
        ip('netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', this.gateway);
      }
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** Takes node i's link down: it can neither reach nor be reached. */
  cut(i: number): void {
    ip('link', 'set', this.nodes[i]!.hostVeth, 'down');
  }

  heal(i: number): void {
    ip('link', 'set', this.nodes[i]!.hostVeth, 'up');
  }

  /** Kills every process in the namespaces, removes them and the bridge. Safe to call twice. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const n of this.nodes) {
      const pids =
        spawnSync('ip', ['netns', 'pids', n.ns], { encoding: 'utf8' }).stdout?.split(/\s+/).filter(Boolean) ?? [];
      for (const pid of pids) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // gone already
        }
      }
      spawnSync('ip', ['netns', 'del', n.ns]);
    }
    spawnSync('ip', ['link', 'del', this.bridge]);
  }
}
