/**
 * `troupe cluster up` against a real sshd on loopback, for what must fail cleanly: an unreachable
 * host and a refused key are named, and nothing is started on any host.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, troupe } from '../../bench/lib/cluster-lab.js';
import { skipWithoutHosts } from './host-requirements.js';
import { freePort, makeKeys, removeKeys, startSshd, type Sshd, type SshKeys } from '../../bench/lib/sshd.js';

const TITLE = 'troupe cluster up errors over SSH';
const skip = skipWithoutHosts(TITLE);

describe.skipIf(skip)(skip ? `${TITLE} (skipped: ${skip})` : TITLE, () => {
  let keys: SshKeys;
  let sshd: Sshd;

  beforeAll(async () => {
    keys = makeKeys();
    sshd = await startSshd(keys);
  });
  afterAll(async () => {
    await sshd?.stop();
    if (keys) removeKeys(keys);
  });

  async function yaml(
    name: string,
    opts: { key?: string; workerPort?: number },
  ): Promise<{ file: string; runtime: string }> {
    const runtime = path.join(keys.dir, `runtime-${name}`);
    const file = path.join(keys.dir, `${name}.yaml`);
    writeFileSync(
      file,
      [
        `cluster_name: ${name}`,
        'ssh:',
        `  user: ${process.env.USER || 'root'}`,
        `  private_key: ${opts.key ?? keys.userKey}`,
        `  port: ${sshd.port}`,
        '  connect_timeout_s: 3',
        `known_hosts: ${path.join(keys.dir, 'known_hosts')}`,
        `install_dir: ${repoRoot()}`,
        `node: ${process.execPath}`,
        `runtime_dir: ${runtime}`,
        `head: {host: 127.0.0.1, port: ${await freePort()}}`,
        'workers:',
        '  - {host: 127.0.0.1, name: good}',
        `  - {host: 127.0.0.1, name: gone, ssh: {port: ${opts.workerPort ?? sshd.port}}}`,
        '',
      ].join('\n'),
    );
    return { file, runtime };
  }

  const nothingStarted = (runtime: string): void => {
    const pids = existsSync(runtime)
      ? readdirSync(runtime, { recursive: true })
          .map(String)
          .filter((f) => f.endsWith('.pid'))
      : [];
    expect(pids).toEqual([]);
  };

  it('names an unreachable host and starts nothing anywhere', async () => {
    const closed = await freePort();
    const { file, runtime } = await yaml('unreachable', { workerPort: closed });
    const r = await troupe(['cluster', 'up', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `troupe: cannot reach gone over SSH; nothing was started:\\n\\s+cannot reach root@127\\.0\\.0\\.1:${closed} over SSH: ECONNREFUSED`,
      ),
    );
    nothingStarted(runtime);
  });

  it('names a host that refuses the key, and starts nothing', async () => {
    const { file, runtime } = await yaml('badkey', { key: keys.strangerKey });
    const r = await troupe(['cluster', 'up', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/127\.0\.0\.1:\d+ refused the SSH key .*stranger_key \(user root\)/);
    nothingStarted(runtime);
  });

  it('names a missing key file and a bad cluster file', async () => {
    const { file } = await yaml('nokey', { key: '/nonexistent/key' });
    const r = await troupe(['cluster', 'up', file]);
    expect(r.stderr).toMatch(/cannot read the SSH private key \/nonexistent\/key/);
    const bad = path.join(keys.dir, 'bad.yaml');
    writeFileSync(bad, 'cluster_name: x\ninstall_dir: /opt\nhead:\n  host: 10.0.0.1\n  port: many\n');
    const b = await troupe(['cluster', 'up', bad]);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe(`troupe: ${bad}:5:9: head.port: must be a number, got "many"\n`);
  });
});
