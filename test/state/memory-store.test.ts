/** What only MemoryStore has: the snapshot file, and opening by `memory` URLs. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, StateCorruptError } from '../../src/common/errors.js';
import { MemoryStore, openStore } from '../../src/state/index.js';
import { troupeError } from './contract.js';
import { actorRow, allBytes, nodeRow } from './rows-fixture.js';

const dir = mkdtempSync(path.join(tmpdir(), 'troupe-memory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => path.join(dir, `snap-${++n}.json`);

function corruptError(fn: () => unknown): StateCorruptError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StateCorruptError);
    return err as StateCorruptError;
  }
  throw new Error('expected a StateCorruptError');
}

describe('MemoryStore snapshot', () => {
  it('brings back every kind of state in a new store', async () => {
    const snapshotFile = file();
    const a = new MemoryStore({ snapshotFile });
    await a.put('nodes', 'n1', nodeRow('n1'));
    await a.commit([
      { op: 'put', table: 'actors', id: 'a1', row: actorRow('a1', 3) },
      { op: 'claimName', namespace: 'ns', name: 'counter', actorId: 'a1' },
      { op: 'kvPut', namespace: 'ckpt', key: 'w', value: allBytes() },
    ]);
    await a.incr('incarnation');
    await a.incr('incarnation');
    await a.close();
    expect(statSync(snapshotFile).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const b = new MemoryStore({ snapshotFile });
    expect(await b.get('nodes', 'n1')).toEqual(nodeRow('n1'));
    expect(await b.get('actors', 'a1')).toEqual(actorRow('a1', 3));
    expect(await b.lookupName('ns', 'counter')).toBe('a1');
    expect(Buffer.from((await b.kvGet('ckpt', 'w'))!).equals(Buffer.from(allBytes()))).toBe(true);
    expect(await b.incr('incarnation')).toBe(3);
    await b.close();
  });

  it('writes the snapshot after a change without waiting for close', async () => {
    const snapshotFile = file();
    const s = new MemoryStore({ snapshotFile, snapshotDelayMs: 1 });
    await s.put('jobs', 'j1', { id: 'j1' });
    // Poll: the write is debounced, and its timing is not what this test is about.
    while (!existsSync(snapshotFile) || !readFileSync(snapshotFile, 'utf8').includes('"j1"')) {
      await sleep(5);
    }
    expect(JSON.parse(readFileSync(snapshotFile, 'utf8')).tables.jobs).toEqual({ j1: { v: 1, row: { id: 'j1' } } });
    await s.delete('jobs', 'j1');
    await s.flush();
    expect(JSON.parse(readFileSync(snapshotFile, 'utf8')).tables.jobs).toEqual({});
    await s.close();
  });

  it('names the file when it is not JSON, and the entry when one is bad', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['{"version":1,"tables":', '#the file', /is not JSON/],
      ['{"version":9}', '#version', /is 9/],
      ['{"version":1,"tables":{"rows":{}}}', '#tables.rows', /not a table/],
      ['{"version":1,"names":{"ns":{"c":7}}}', '#names.ns.c', /not an actor id/],
      ['{"version":1,"kv":{"ns":{"k":"***"}}}', '#kv.ns.k', /not a base64/],
      ['{"version":1,"counters":{"incarnation":"x"}}', '#counters.incarnation', /not an integer/],
    ];
    for (const [text, entry, says] of cases) {
      const snapshotFile = file();
      writeFileSync(snapshotFile, text);
      const err = corruptError(() => new MemoryStore({ snapshotFile }));
      expect(err.context.key).toBe(snapshotFile + entry);
      expect(err.message).toContain(snapshotFile);
      expect(err.message).toMatch(says);
    }
  });

  it('opens memory URLs, with and without a snapshot file', async () => {
    const plain = await openStore();
    expect([plain.kind, plain.description]).toEqual(['memory', 'memory']);
    expect((await openStore('memory')).kind).toBe('memory');
    const snapshotFile = path.join(dir, 'not-yet', 'there', 'state.json');
    const snap = await openStore(`memory://${snapshotFile}`);
    expect(snap.description).toContain(snapshotFile);
    await snap.put('jobs', 'j', { id: 'j' });
    await snap.close();
    expect(existsSync(snapshotFile)).toBe(true);
    for (const bad of ['memory:relative.json', 'memory:///', 'memory://host/x.json']) {
      expect((await troupeError(openStore(bad), ErrorCode.INVALID_ARGUMENT)).message).toContain(
        'memory:///path/to/snapshot.json',
      );
    }
  });
});
