/**
 * Child processes started by a benchmark. Every child is spawned with `process.execPath`, tracked,
 * and killed when the benchmark exits (normally, on an uncaught error, or on SIGINT/SIGTERM). Each
 * child also gets a stdin pipe; `exitWhenParentGone()` in the child ends it when that pipe closes,
 * so a child never outlives a parent that was killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      killAll();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

export interface Child {
  proc: ChildProcess;
  /** Resolves with the next line the child writes on stdout; rejects if it exits first. */
  nextLine(timeoutMs?: number): Promise<string>;
  /** Resolves when the child has exited, with its exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Kills the child (SIGTERM, then SIGKILL after a grace period) and waits for it to exit. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `node <module> ...args`; `module` is a URL or path of a compiled `.js` file. `env` is
 * added to this process's environment (use it, not argv, for secrets such as a cluster token).
 */
export function startChild(module: URL | string, args: string[] = [], env: Record<string, string> = {}): Child {
  hookExit();
  const file = module instanceof URL ? fileURLToPath(module) : module;
  const proc = spawn(process.execPath, [file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  live.add(proc);
  const exited = new Promise<number | null>((resolve) => {
    // 'close' comes after the stdio pipes ended, so every line the child wrote was seen first.
    proc.once('close', (code) => {
      live.delete(proc);
      resolve(code);
    });
    proc.once('error', () => {
      live.delete(proc);
      resolve(null);
    });
  });
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  });
  const nextLine = (timeoutMs = 30_000) => {
    const queued = lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${file}: no output within ${timeoutMs} ms`)), timeoutMs);
      const waiter = (line: string) => {
        clearTimeout(timer);
        resolve(line);
      };
      waiters.push(waiter);
      void exited.then((code) => {
        const i = waiters.indexOf(waiter);
        if (i < 0) return;
        waiters.splice(i, 1);
        clearTimeout(timer);
        reject(new Error(`${file} exited (code ${code}) before printing the expected line`));
      });
    });
  };
  const stop = async (graceMs = 2_000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  return { proc, nextLine, exited, stop };
}

/** In a child: exit when the parent's end of our stdin closes (the parent died or stopped us). */
export function exitWhenParentGone(onGone: () => void = () => process.exit(0)): void {
  process.stdin.on('end', onGone);
  process.stdin.on('error', onGone);
  process.stdin.resume();
}

/**
 * In a child measured together with others: print `ready`, then wait for the parent's `go` line on
 * stdin (see `startTogether`), so that every child's measured window starts at the same moment.
 */
export function readyThenGo(): Promise<void> {
  process.stdout.write('ready\n');
  return new Promise((resolve) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (!seen.includes('go\n')) return;
      process.stdin.off('data', onData);
      resolve();
    };
    process.stdin.on('data', onData);
  });
}

/** In the parent: waits until every child printed `ready` (readyThenGo), then tells them all `go` at once. */
export async function startTogether(children: readonly Child[], timeoutMs = 60_000): Promise<void> {
  const lines = await Promise.all(children.map((c) => c.nextLine(timeoutMs)));
  const wrong = lines.find((l) => l !== 'ready');
  if (wrong !== undefined) throw new Error(`a child printed ${JSON.stringify(wrong)} instead of ready`);
  for (const c of children) c.proc.stdin!.write('go\n');
}
