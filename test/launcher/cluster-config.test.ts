import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/index.js';
import { loadClusterConfig, parseClusterConfig } from '../../src/launcher/index.js';

const good = `
cluster_name: lab
ssh:
  user: ops
  private_key: /keys/id
  port: 2222
install_dir: /opt/troupe
node: /usr/bin/node
setup_commands: [echo hi]
head:
  host: 10.0.0.1
  worker: false
workers:
  - host: 10.0.0.2
    num_cpus: 8
    resources: {ssd: 1}
  - host: 10.0.0.2
    name: second
    ssh: {port: 22}
    setup_commands: [echo there]
`;

function error(text: string): string {
  try {
    parseClusterConfig(text, 'c.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('cluster.yaml', () => {
  it('fills in defaults and per-node overrides', () => {
    const c = parseClusterConfig(good, 'c.yaml');
    expect(c.headAddress).toBe('10.0.0.1:7420');
    expect(c.headWorker).toBe(false);
    expect(c.head.ssh).toMatchObject({ user: 'ops', port: 2222, privateKey: '/keys/id', connectTimeoutMs: 10_000 });
    expect(c.workers.map((w) => w.name)).toEqual(['10.0.0.2', 'second']);
    expect(c.workers[0]).toMatchObject({
      numCpus: 8,
      resources: { ssd: 1 },
      setupCommands: ['echo hi'],
      runtimeDir: '/tmp/troupe-clusters/lab/10.0.0.2',
    });
    expect(c.workers[1]!.ssh.port).toBe(22);
    expect(c.workers[1]!.setupCommands).toEqual(['echo hi', 'echo there']);
  });

  it('names the line and field of a wrong value', () => {
    expect(error(good.replace('num_cpus: 8', 'num_cpus: eight'))).toBe(
      'c.yaml:15:15: workers[0].num_cpus: must be a number, got "eight"',
    );
    expect(error(good.replace('port: 2222', 'port: 99999'))).toBe('c.yaml:6:9: ssh.port: must be <=65535, got 99999');
    expect(error(good.replace('install_dir: /opt/troupe', 'install_dir: opt/troupe'))).toMatch(
      /^c\.yaml:7:14: install_dir: must be an absolute path, got "opt\/troupe"$/,
    );
  });

  it('refuses a token that cannot travel: over 1024 characters, or with spaces or non-ASCII', () => {
    const withToken = (t: string) => good.replace('cluster_name: lab', `cluster_name: lab\ntoken: "${t}"`);
    expect(error(withToken('x'.repeat(1025)))).toMatch(/token: must be at most 1024 characters/);
    expect(error(withToken('sixteen chars and spaces'))).toMatch(/token: must be printable ASCII without spaces/);
    expect(error(withToken('sixteen-characters-ünïcode'))).toMatch(/token: must be printable ASCII without spaces/);
    expect(parseClusterConfig(withToken('a-fine-token-of-32-characters-xx'), 'c.yaml').token).toBe(
      'a-fine-token-of-32-characters-xx',
    );
  });

  it('refuses unknown keys with the valid ones', () => {
    expect(error(good.replace('  worker: false', '  worker: false\n  colour: red'))).toBe(
      'c.yaml:13:3: head.colour: unknown key; valid keys here: host, ssh, num_cpus, num_gpus, memory, resources, setup_commands, port, worker',
    );
    expect(error(`${good}extra: 1\n`)).toMatch(
      /^c\.yaml:21:1: extra: unknown key; valid keys here: cluster_name, ssh, install_dir/,
    );
  });

  it('says what is missing, and refuses bad YAML with its line', () => {
    expect(error('cluster_name: lab\n')).toBe(
      'c.yaml:1:1: install_dir: is required (string)\nc.yaml:1:1: head: is required (object)',
    );
    expect(error('cluster_name: lab\nhead: [1, 2\n')).toMatch(/^c\.yaml:3:1: not valid YAML: /);
    expect(error('- a\n- b\n')).toMatch(/must be a YAML mapping/);
  });

  it('refuses two workers with one name, and a heartbeat timeout below the period', () => {
    expect(error(good.replace('    name: second\n', ''))).toBe(
      'c.yaml:17:5: workers[1].name: "10.0.0.2" is used by workers[0] too; give each worker on one host its own name',
    );
    expect(error(`${good}heartbeat_period_ms: 500\nheartbeat_timeout_ms: 100\n`)).toMatch(
      /heartbeat_timeout_ms must be larger than heartbeat_period_ms/,
    );
  });

  it('accepts the example in deploy/', () => {
    const c = loadClusterConfig(fileURLToPath(new URL('../../deploy/cluster.yaml', import.meta.url)));
    expect(c.workers.map((w) => w.name)).toEqual(['10.0.0.11', '10.0.0.12', 'gpu-box-b']);
    expect(c.workers[1]!.setupCommands).toHaveLength(2);
  });
});
