/**
 * The rate-limited refusal log (issue 13, item 8): one line at once per address, then one summary
 * per address per interval with the count and the reasons, bounded however many addresses and
 * reasons there are.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { RefusalLog, peerAddress } from '../../src/common/refusal-log.js';

function capture(): { log: pino.Logger; lines: Array<{ msg: string; peer: string; refused?: number }> } {
  const lines: Array<{ msg: string; peer: string; refused?: number }> = [];
  return { lines, log: pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s)) }) };
}

describe('refusal log', () => {
  it('names peers by address without the port, in the forms grpc-js and net give', () => {
    expect(peerAddress('ipv4:127.0.0.1:5000')).toBe('127.0.0.1');
    expect(peerAddress('10.1.2.3:5000')).toBe('10.1.2.3');
    expect(peerAddress('ipv6:[::1]:5000')).toBe('::1');
    expect(peerAddress('[fe80::1]:1')).toBe('fe80::1');
    expect(peerAddress('::ffff:127.0.0.1')).toBe('::ffff:127.0.0.1');
    expect(peerAddress('unix:/tmp/x.sock')).toBe('unix:/tmp/x.sock');
  });

  it('logs the first refusal of an address at once and sums up the rest', () => {
    const { log, lines } = capture();
    const r = new RefusalLog(log, 'refused a call', { what: 'calls', intervalMs: 60_000 });
    for (let i = 0; i < 5124; i++) r.refused(`ipv4:127.0.0.1:${1000 + (i % 50)}`, 'bad token');
    r.refused('ipv4:10.0.0.9:1', 'bad token');
    expect(lines.map((l) => [l.msg, l.peer])).toEqual([
      ['refused a call', 'ipv4:127.0.0.1:1000'],
      ['refused a call', 'ipv4:10.0.0.9:1'],
    ]);
    r.close();
    expect(lines.slice(2).map((l) => l.msg)).toEqual([
      'refused 5123 more calls from 127.0.0.1 in the last 1 s: bad token',
    ]);
  });

  it('keeps its tallies bounded: a few reasons per address, a cap on addresses', () => {
    const { log, lines } = capture();
    const r = new RefusalLog(log, 'refused', { what: 'connections', intervalMs: 60_000, maxPeers: 3 });
    for (let i = 0; i < 10; i++) r.refused('1.1.1.1:1', `reason ${i}`);
    for (let i = 0; i < 100; i++) r.refused(`2.0.0.${i}:1`, 'bad token');
    // 1.1.1.1, 2.0.0.0, 2.0.0.1 one by one; every further address shares one tally.
    expect(lines.length).toBe(4);
    expect(lines[3]!.peer).toBe('2.0.0.2:1');
    r.close();
    const summaries = lines.slice(4).map((l) => l.msg);
    expect(summaries).toEqual([
      'refused 9 more connections from 1.1.1.1 in the last 1 s: reason 1 (1); reason 2 (1); reason 3 (1); reason 4 (1); other reasons (5)',
      'refused 97 more connections from other addresses in the last 1 s: bad token',
    ]);
  });
});
