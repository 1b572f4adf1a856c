import { HostProcess, type HostProcessOptions, type HostExit } from './host-process.js';

export interface HostPoolOptions extends HostProcessOptions {
  /** Idle processes kept started, ready to take an actor. */
  warmSize: number;
  /** Most actors one shared host process takes before another is started. */
  maxSharedActors: number;
  onExit: (host: HostProcess, exit: HostExit) => void;
}

const sameArgv = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Keeps `warmSize` actor host processes started ahead of need (a fork costs ~60 ms; taking a warm
 * one costs a message), and the shared hosts where light actors live together.
 */
export class HostPool {
  private readonly idle: HostProcess[] = [];
  private readonly shared: HostProcess[] = [];
  private readonly all = new Set<HostProcess>();
  private closed = false;
  private refillTimer: NodeJS.Timeout | undefined;
  /** Loader flags of the warm processes: the last ones asked for, so that a driver's flags hit. */
  private warmArgv: string[];

  constructor(private readonly options: HostPoolOptions) {
    this.warmArgv = options.execArgv;
  }

  fill(): void {
    while (!this.closed && this.idle.length < this.options.warmSize) this.idle.push(this.spawn(this.warmArgv, false));
  }

  /**
   * A process of its own for one actor: a warm one when the loader flags match. It may still be
   * starting (`ready` says when it serves): it takes a create order meanwhile.
   */
  dedicated(execArgv: string[]): HostProcess {
    const host = this.takeIdle(execArgv) ?? this.spawn(execArgv, false);
    this.refillSoon();
    return host;
  }

  /** A shared process with room, or a new one; like `dedicated`, it may still be starting. */
  sharedHost(execArgv: string[]): HostProcess {
    let host = this.shared.find(
      (h) => h.alive && h.actors.size < this.options.maxSharedActors && sameArgv(h.options.execArgv, execArgv),
    );
    if (!host) {
      host = this.takeIdle(execArgv) ?? this.spawn(execArgv, true);
      (host as { shared: boolean }).shared = true;
      this.shared.push(host);
      this.refillSoon();
    }
    return host;
  }

  // fork() blocks the event loop for milliseconds: keep it off the path of the actor being created.
  private refillSoon(): void {
    if (this.refillTimer) return;
    this.refillTimer = setTimeout(() => {
      this.refillTimer = undefined;
      this.fill();
    }, 20);
  }

  /** Tells every host process the agent is alive. */
  tick(silenceMs: number): void {
    for (const h of this.all) h.tick(silenceMs);
  }

  /** Tells every host process how many actors the cluster has. */
  actorCount(count: number): void {
    for (const h of this.all) h.actorCount(count);
  }

  processes(): HostProcess[] {
    return [...this.all];
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refillTimer);
    const hosts = [...this.all];
    for (const h of hosts) h.kill('SIGKILL');
    await Promise.all(hosts.map((h) => h.exited));
  }

  private takeIdle(execArgv: string[]): HostProcess | undefined {
    const i = this.idle.findIndex((h) => h.alive && sameArgv(h.options.execArgv, execArgv));
    if (i >= 0) return this.idle.splice(i, 1)[0];
    if (!sameArgv(this.warmArgv, execArgv)) {
      // Drivers use other loader flags than the warm processes have: warm those from now on.
      this.warmArgv = execArgv;
      for (const h of this.idle.splice(0)) h.kill('SIGKILL');
    }
    return undefined;
  }

  private spawn(execArgv: string[], shared: boolean): HostProcess {
    const host = new HostProcess({ ...this.options, execArgv }, shared);
    this.all.add(host);
    host.exited.then((exit) => {
      this.all.delete(host);
      const i = this.idle.indexOf(host);
      if (i >= 0) this.idle.splice(i, 1);
      const j = this.shared.indexOf(host);
      if (j >= 0) this.shared.splice(j, 1);
      if (!this.closed) this.options.onExit(host, exit);
    });
    return host;
  }
}
