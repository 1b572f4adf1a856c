/**
 * Head recovery time for `npm run bench -- state`: a head with `--state <redis>` and two worker
 * agents as real processes (the built CLI), 1,000 registered actors, then kill -9 of the head and
 * a new head process on the same port and state. Measured from the new process's start to
 * (a) its first answer to `status`, and (b) a `status` with every node back and every actor
 * listed once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type Cluster } from '../src/index.js';
import { startChild, type Child } from './lib/children.js';
import { sleep } from './lib/report.js';

const CLI = new URL('../src/cli/main.js', import.meta.url);

export interface Recovery {
  actors: number;
  /** New head process start → first `status` answered. */
  firstStatusMs: number;
  /** New head process start → every node back (registered again) with all actors listed once. */
  recoveredMs: number;
}

async function lineMatching(child: Child, re: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const line = await child.nextLine(Math.max(1, deadline - Date.now()));
    const m = re.exec(line);
    if (m) return m;
  }
}

export async function measureRecovery(stateUrl: string, actorCount = 1000): Promise<Recovery> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'troupe-bench-recovery-'));
  const env = { TROUPE_TMPDIR: tmp, TROUPE_TOKEN: `bench-${process.pid}`, TROUPE_ADDRESS: '' };
  const children: Child[] = [];
  let driver: Cluster | undefined;
  try {
    const headArgs = (port: string) => ['start', '--head', '--port', port, '--no-worker', '--state', stateUrl];
    let head = startChild(CLI, headArgs('0'), env);
    children.push(head);
    const address = (await lineMatching(head, /Troupe head started at (\S+)/))[1]!;
    const port = address.split(':').pop()!;
    for (let i = 0; i < 2; i++) {
      const w = startChild(CLI, ['start', '--address', address, '--num-cpus', '4', '--warm-pool', '1'], env);
      children.push(w);
      await lineMatching(w, /Troupe worker (node-\S+) joined/);
    }
    driver = await connect({ address, token: env.TROUPE_TOKEN });
    const Echo = driver.actorClass<typeof import('./actors/echo.js').EchoActor>(
      new URL('./actors/echo.js', import.meta.url),
      'EchoActor',
    );
    // Detached: the bench's driver stays attached anyway, but the count must not depend on it.
    await Promise.all(
      Array.from({ length: actorCount }, () => Echo.spawn([], { isolation: 'shared', lifetime: 'detached' })),
    );
    const nodes = (await driver.status()).nodes
      .filter((n) => n.state === 'ALIVE')
      .map((n) => n.nodeId)
      .sort()
      .join();

    head.proc.kill('SIGKILL');
    await head.exited;
    await sleep(200);
    const t0 = performance.now();
    head = startChild(CLI, headArgs(port), env);
    children.push(head);
    let firstStatusMs = 0;
    for (;;) {
      try {
        const s = await driver.status();
        firstStatusMs ||= performance.now() - t0;
        const alive = s.nodes
          .filter((n) => n.state === 'ALIVE')
          .map((n) => n.nodeId)
          .sort()
          .join();
        const ids = new Set(s.actors.filter((a) => a.state === 'ALIVE').map((a) => a.actorId));
        if (
          alive === nodes &&
          ids.size === actorCount &&
          s.actors.length === actorCount &&
          s.nodes.every((n) => !n.awaitingWorker)
        )
          break;
      } catch {
        // not serving yet
      }
      if (performance.now() - t0 > 60_000) throw new Error('the restarted head did not recover within 60 s');
      await sleep(20);
    }
    return { actors: actorCount, firstStatusMs, recoveredMs: performance.now() - t0 };
  } finally {
    await driver?.shutdown().catch(() => undefined);
    await Promise.all(children.map((c) => c.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }
}
