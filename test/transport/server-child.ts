/**
 * Test helper: starts data-plane-child.ts (a DataPlaneServer in its own process) and reads its lines.
 * Children still running when the test file ends are killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const CHILD = fileURLToPath(new URL('./data-plane-child.ts', import.meta.url));

export interface ServerChild {
  proc: ChildProcess;
  address: string;
  pid: number;
  sha256: Record<string, string>;
  nextLine(): Promise<string>;
  exited: Promise<void>;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Starts the child serving `objects` (id → size in bytes) with token `token`; `limits` go to the server. */
export async function startServerChild(
  objects: Record<string, number>,
  token: string,
  limits: Record<string, number> = {},
): Promise<ServerChild> {
  const args = Object.entries(objects).map(([id, n]) => `${id}=${n}`);
  const proc = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { ...process.env, DP_TOKEN: token, DP_LIMITS: JSON.stringify(limits) },
  });
  children.push(proc);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const lines: string[] = [];
  const waiters: Array<(l: string) => void> = [];
  createInterface({ input: proc.stdout! }).on('line', (l) => (waiters.length ? waiters.shift()!(l) : lines.push(l)));
  const nextLine = () =>
    lines.length ? Promise.resolve(lines.shift()!) : new Promise<string>((resolve) => waiters.push(resolve));
  const first = await Promise.race([nextLine(), exited.then(() => 'exited')]);
  if (first === 'exited') throw new Error('data-plane child exited before it was ready');
  return {
    proc,
    nextLine,
    exited,
    ...(JSON.parse(first) as { address: string; pid: number; sha256: Record<string, string> }),
  };
}

export function vmRssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}
