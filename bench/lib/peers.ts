/**
 * Measured peers (`npm run bench -- NAME --peers`): the same workload run on Ray or PyTorch in the
 * same run, by a script under bench/peers/, printed beside the Troupe figure as its baseline. The
 * convention everywhere: a row `troupe vs <peer> <version>: <what>` whose value is the Troupe figure
 * measured earlier in this run, whose baseline is the peer's, and whose ratio is Troupe / peer.
 *
 * The interpreter is `TROUPE_PEERS_PYTHON`, else `python3` on PATH (see scripts/make-peers-venv.sh).
 * A peer that does not import there has no rows, and one note says so: never a published or an
 * invented figure. A peer that fails has failed rows naming the error.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Report } from './report.js';

export type PeerName = 'ray' | 'torch';

let requested = false;

/** Removes `--peers` from a benchmark's arguments (bench/run.ts), remembering that it was given. */
export function takePeersFlag(args: readonly string[]): string[] {
  requested = args.includes('--peers');
  return args.filter((a) => a !== '--peers');
}

export function peersRequested(): boolean {
  return requested;
}

export function peersPython(): string {
  return process.env.TROUPE_PEERS_PYTHON || 'python3';
}

export interface PeerProbe {
  python: string;
  /** The version of each peer that imports, null for one that does not. */
  versions: Record<PeerName, string | null>;
  /** Why the interpreter could not be asked at all. */
  error?: string;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: string;
}

function runPython(python: string, args: string[], timeoutMs: number): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(python, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr, spawnError: err.message });
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: signal ? null : code, stdout, stderr: signal ? `${stderr}\nkilled by ${signal}` : stderr });
    });
  });
}

const PROBE = `
import importlib, json
out = {}
for name in ("ray", "torch"):
    try:
        out[name] = importlib.import_module(name).__version__
    except Exception:
        out[name] = None
print(json.dumps(out))
`;

const probes = new Map<string, Promise<PeerProbe>>();

/** Which peers import under the interpreter (asked once per interpreter and process). */
export function probePeers(python = peersPython()): Promise<PeerProbe> {
  let p = probes.get(python);
  if (!p) {
    p = (async (): Promise<PeerProbe> => {
      const none = { ray: null, torch: null };
      const r = await runPython(python, ['-c', PROBE], 60_000);
      if (r.spawnError) return { python, versions: none, error: r.spawnError };
      try {
        const found = JSON.parse(lastLine(r.stdout)) as Partial<PeerProbe['versions']>;
        return { python, versions: { ...none, ...found } };
      } catch {
        return { python, versions: none, error: `exit ${r.code}: ${lastLine(r.stderr) || 'no output'}` };
      }
    })();
    probes.set(python, p);
  }
  return p;
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1) ?? '';
}

/** The folder holding the peer scripts, found upward from this module (source or dist). */
function scriptsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'bench', 'peers');
    if (existsSync(path.join(candidate, 'ray_calls.py'))) return candidate;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bench/peers/ not found above bench/lib/peers');
    dir = up;
  }
}

/** One peer row: its text, and where its two figures come from. */
export interface PeerRow {
  /** What is compared, after `troupe vs <peer>: `. */
  what: string;
  unit: string;
  /** The name of the Troupe row measured earlier in this report. */
  troupeRow: string;
  /** The peer's figure in the script's JSON output. */
  peer: (out: Record<string, unknown>) => unknown;
}

export interface PeerComparison {
  peer: PeerName;
  /** A file of bench/peers/. */
  script: string;
  /** The workload's parameters, the script's one argument (as JSON). */
  params: Record<string, unknown>;
  timeoutMs: number;
  rows: PeerRow[];
}

/**
 * Where `--peers` was given: runs the peer script and adds one row per comparison. Without the
 * flag nothing happens; without the peer installed, one note and no rows.
 */
export async function comparePeer(report: Report, c: PeerComparison): Promise<void> {
  if (!requested) return;
  const probe = await probePeers();
  const version = probe.versions[c.peer];
  if (!version) {
    const why = probe.error
      ? `${probe.python} could not be run (${probe.error})`
      : `it does not import in ${probe.python}`;
    report.note(
      `--peers: ${c.peer} rows omitted: ${why}; make a venv with scripts/make-peers-venv.sh and set TROUPE_PEERS_PYTHON`,
    );
    return;
  }
  const label = `${c.peer === 'torch' ? 'pytorch' : c.peer} ${version}`;
  process.stderr.write(`[bench] ${label}: ${c.script} ...\n`);
  const r = await runPython(peersPython(), [path.join(scriptsDir(), c.script), JSON.stringify(c.params)], c.timeoutMs);
  let out: Record<string, unknown> | undefined;
  let error: string | undefined;
  if (r.code !== 0)
    error = `${c.script} exited ${r.code ?? 'on a signal'}: ${lastLine(r.stderr) || r.spawnError || 'no output'}`;
  else {
    try {
      out = JSON.parse(lastLine(r.stdout)) as Record<string, unknown>;
    } catch {
      error = `${c.script} printed no JSON line: ${lastLine(r.stdout) || lastLine(r.stderr)}`;
    }
  }
  for (const row of c.rows) {
    const name = `troupe vs ${label}: ${row.what}`;
    const opts = { baselineName: label };
    const troupe = report.rows.find((x) => x.name === row.troupeRow)?.value ?? null;
    const value = out ? row.peer(out) : undefined;
    if (error !== undefined) report.fail(name, row.unit, new Error(error), opts);
    else if (typeof value !== 'number' || !Number.isFinite(value))
      report.fail(name, row.unit, new Error(`${c.script} gave no figure for ${row.what}`), opts);
    else if (troupe === null)
      report.fail(name, row.unit, new Error(`the Troupe row "${row.troupeRow}" was not measured`), {
        ...opts,
        baseline: value,
      });
    else report.add(name, troupe, row.unit, { ...opts, baseline: value });
  }
}
