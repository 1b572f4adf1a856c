import { readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { troupeRoot } from '../common/index.js';

interface Target {
  pid: number;
  role: string;
  file: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Only signal a pid that still runs a troupe node (pids get reused). */
function isTroupe(pid: number): boolean {
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return (
      cmd.includes('troupe') ||
      cmd.includes(path.join('cli', 'main.')) ||
      // the head machine's own worker agent (local-agent.ts)
      cmd.includes(path.join('cli', 'worker-agent-main.'))
    );
  } catch {
    return existsSync(`/proc/${pid}`) !== false;
  }
}

function targets(): Target[] {
  const root = troupeRoot();
  const out: Target[] = [];
  let sessions: string[] = [];
  try {
    sessions = readdirSync(root).filter((d) => d.startsWith('session_') && d !== 'session_latest');
  } catch {
    return out;
  }
  for (const s of sessions) {
    const dir = path.join(root, s, 'pids');
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.pid'));
    } catch {
      continue;
    }
    for (const f of files) {
      const file = path.join(dir, f);
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid) || !isTroupe(pid)) {
        rmSync(file, { force: true });
        continue;
      }
      out.push({ pid, role: f.split('-')[0] ?? 'node', file });
    }
  }
  return out;
}

/** Stops every troupe head and worker started on this machine (workers first, a head's local agent among them). */
export async function stopCommand(flags: { force?: boolean; graceMs: number }): Promise<number> {
  const list = targets().sort((a, b) => (a.role === 'worker' ? -1 : 0) - (b.role === 'worker' ? -1 : 0));
  if (list.length === 0) {
    process.stdout.write('No troupe processes are running on this machine.\n');
    return 0;
  }
  for (const t of list) process.kill(t.pid, flags.force ? 'SIGKILL' : 'SIGTERM');
  const deadline = Date.now() + flags.graceMs;
  while (Date.now() < deadline && list.some((t) => isAlive(t.pid))) await sleep(100);
  const stubborn = list.filter((t) => isAlive(t.pid));
  for (const t of stubborn) process.kill(t.pid, 'SIGKILL');
  for (const t of list) rmSync(t.file, { force: true });
  const names = list.map((t) => `${t.role} ${t.pid}`).join(', ');
  process.stdout.write(
    `Stopped ${list.length} troupe process${list.length > 1 ? 'es' : ''}: ${names}${stubborn.length ? ` (${stubborn.length} needed SIGKILL)` : ''}\n`,
  );
  return 0;
}
