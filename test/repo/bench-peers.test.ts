/**
 * `npm run bench -- NAME --peers` (bench/lib/peers.ts): a peer that is not installed gives a note
 * and no rows, never a figure; one that fails gives failed rows naming why; one that answers is set
 * as the baseline of the Troupe figure measured in the same report. Ray and PyTorch are not needed:
 * the interpreters here are small shell scripts standing where a Python would.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { comparePeer, probePeers, takePeersFlag, type PeerComparison } from '../../bench/lib/peers.js';
import { Report } from '../../bench/lib/report.js';

const dir = mkdtempSync(path.join(tmpdir(), 'troupe-peers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const saved = process.env.TROUPE_PEERS_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.TROUPE_PEERS_PYTHON;
  else process.env.TROUPE_PEERS_PYTHON = saved;
  takePeersFlag([]);
});

/** A stand-in interpreter: answers the probe (`-c`) with `probe`, and a script run with `run`. */
function fakePython(name: string, probe: string, run: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\nif [ "$1" = "-c" ]; then ${probe}; else ${run}; fi\n`);
  chmodSync(file, 0o755);
  return file;
}

function comparison(): PeerComparison {
  return {
    peer: 'ray',
    script: 'ray_calls.py',
    params: { duration_ms: 1 },
    timeoutMs: 10_000,
    rows: [{ what: 'sync calls', unit: 'calls/s', troupeRow: 'troupe sync', peer: (o) => o.sync }],
  };
}

function reportWithTroupeRow(): Report {
  const report = new Report('t');
  report.add('troupe sync', 3000, 'calls/s');
  return report;
}

describe('bench --peers', () => {
  it('takes --peers out of the arguments, and without it adds nothing', async () => {
    expect(takePeersFlag(['--duration-ms', '5', '--peers'])).toEqual(['--duration-ms', '5']);
    takePeersFlag(['--duration-ms', '5']);
    const report = reportWithTroupeRow();
    await comparePeer(report, comparison());
    expect(report.rows).toHaveLength(1);
    expect(report.notes).toEqual([]);
  });

  it('an interpreter that does not exist: a note naming it, no peer rows', async () => {
    process.env.TROUPE_PEERS_PYTHON = path.join(dir, 'no-such-python');
    takePeersFlag(['--peers']);
    const report = reportWithTroupeRow();
    await comparePeer(report, comparison());
    expect(report.rows.map((r) => r.name)).toEqual(['troupe sync']);
    expect(report.notes).toHaveLength(1);
    expect(report.notes[0]).toMatch(/--peers: ray rows omitted: .*no-such-python could not be run/);
  });

  it('a Python without Ray: a note that it does not import there, no peer rows', async () => {
    process.env.TROUPE_PEERS_PYTHON = fakePython('no-ray', `echo '{"ray": null, "torch": "2.13.0"}'`, 'exit 3');
    takePeersFlag(['--peers']);
    const report = reportWithTroupeRow();
    await comparePeer(report, comparison());
    expect(report.rows).toHaveLength(1);
    expect(report.notes[0]).toMatch(/ray rows omitted: it does not import in .*no-ray/);
    expect((await probePeers()).versions).toEqual({ ray: null, torch: '2.13.0' });
  });

  it('a peer script that fails: a failed row naming the script and its last error line', async () => {
    process.env.TROUPE_PEERS_PYTHON = fakePython(
      'ray-fails',
      `echo '{"ray": "2.58.0", "torch": null}'`,
      `echo 'RuntimeError: the raylet died' >&2; exit 1`,
    );
    takePeersFlag(['--peers']);
    const report = reportWithTroupeRow();
    await comparePeer(report, comparison());
    const row = report.rows.find((r) => r.name === 'troupe vs ray 2.58.0: sync calls');
    expect(row?.value).toBeNull();
    expect(row?.error).toMatch(/ray_calls\.py exited 1: RuntimeError: the raylet died/);
    expect(report.failed).toBe(true);
  });

  it("a peer that answers: the Troupe figure of the same report, the peer's as its baseline, and the ratio", async () => {
    process.env.TROUPE_PEERS_PYTHON = fakePython(
      'ray-ok',
      `echo '{"ray": "2.58.0", "torch": null}'`,
      `echo 'starting'; echo '{"sync": 1200}'`,
    );
    takePeersFlag(['--peers']);
    const report = reportWithTroupeRow();
    await comparePeer(report, comparison());
    expect(report.rows[1]).toMatchObject({
      name: 'troupe vs ray 2.58.0: sync calls',
      value: 3000,
      baseline: 1200,
      baselineName: 'ray 2.58.0',
      ratio: 2.5,
    });
    // A peer that gave no figure for a row, or a Troupe row that was not measured, is a failed row.
    const more = reportWithTroupeRow();
    await comparePeer(more, {
      ...comparison(),
      rows: [
        { what: 'async', unit: 'calls/s', troupeRow: 'troupe sync', peer: (o) => o.async },
        { what: 'sync again', unit: 'calls/s', troupeRow: 'troupe missing', peer: (o) => o.sync },
      ],
    });
    expect(more.rows[1]?.error).toMatch(/gave no figure for async/);
    expect(more.rows[2]?.error).toMatch(/the Troupe row "troupe missing" was not measured/);
  });
});
