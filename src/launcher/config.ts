/**
 * `cluster.yaml`: the machines of a cluster and how to reach them, validated with a zod schema (the
 * project's one way to validate; YAML adds the line of each field to the message). Every
 * error names the file, the line and the field (`cluster.yaml:12:5: workers[1].num_cpus: ...`),
 * and unknown keys are refused with the list of valid ones. See deploy/cluster.yaml.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { InvalidArgumentError, MAX_TOKEN_LENGTH } from '../common/index.js';
import { fieldPath as issuePath } from '../options/index.js';

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'must be 1-63 letters, digits, _ . - (starting with a letter or digit)');
const hostName = z.string().regex(/^[A-Za-z0-9_.:-]{1,253}$/, 'must be a host name or an IP address');
const port = z.number().int().min(1).max(65535);
const count = z.number().finite().min(0);
const absOrHome = z
  .string()
  .min(1)
  .refine((p) => p.startsWith('/') || p.startsWith('~/'), 'must be an absolute path (or start with ~/)');

const ssh = z
  .object({
    user: z.string().min(1).optional(),
    private_key: absOrHome.optional(),
    port: port.optional(),
    connect_timeout_s: z.number().positive().max(600).optional(),
  })
  .strict();

const nodeFields = {
  host: hostName,
  ssh: ssh.optional(),
  num_cpus: count.optional(),
  num_gpus: z.number().int().min(0).optional(),
  memory: count.optional(),
  resources: z
    .record(z.string().regex(/^[A-Za-z][\w.-]{0,63}$/, 'resource names are letters, digits, _ . -'), count)
    .optional(),
  setup_commands: z.array(z.string().min(1)).optional(),
};

const schema = z
  .object({
    cluster_name: name,
    ssh: ssh.optional(),
    install_dir: z
      .string()
      .min(1)
      .refine((p) => p.startsWith('/'), 'must be an absolute path'),
    node: z.string().min(1).optional(),
    runtime_dir: z
      .string()
      .min(1)
      .refine((p) => p.startsWith('/'), 'must be an absolute path')
      .optional(),
    setup_commands: z.array(z.string().min(1)).optional(),
    token: z
      .string()
      .min(16, 'must be at least 16 characters (or leave it out: one is generated)')
      .max(MAX_TOKEN_LENGTH, `must be at most ${MAX_TOKEN_LENGTH} characters`)
      .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it travels in gRPC metadata)')
      .optional(),
    state: z.string().min(1).optional(),
    heartbeat_period_ms: z.number().int().min(10).optional(),
    heartbeat_timeout_ms: z.number().int().min(10).optional(),
    verify_timeout_s: z.number().positive().max(3600).optional(),
    known_hosts: absOrHome.optional(),
    head: z
      .object({
        ...nodeFields,
        port: port.optional(),
        worker: z.boolean().optional(),
        allow_exec_argv: z.boolean().optional(),
      })
      .strict(),
    workers: z.array(z.object({ ...nodeFields, name: name.optional() }).strict()).optional(),
  })
  .strict();

type RawConfig = z.infer<typeof schema>;

export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  connectTimeoutMs: number;
}

export interface NodeConfig {
  /** 'head', or the worker's name (its host unless given). */
  name: string;
  role: 'head' | 'worker';
  host: string;
  ssh: SshTarget;
  numCpus?: number;
  numGpus?: number;
  memory?: number;
  resources?: Record<string, number>;
  /** The cluster's setup commands, then the node's own. */
  setupCommands: string[];
  /** Where this node's daemons keep their pid files and logs (TROUPE_TMPDIR on the host). */
  runtimeDir: string;
}

export interface ClusterConfig {
  file: string;
  clusterName: string;
  installDir: string;
  node: string;
  token?: string;
  state?: string;
  headPort: number;
  headWorker: boolean;
  /** `head.allow_exec_argv`: the head starts actor processes with any Node flags (`--allow-exec-argv`). */
  headAllowExecArgv: boolean;
  heartbeatPeriodMs?: number;
  heartbeatTimeoutMs?: number;
  verifyTimeoutMs: number;
  knownHosts: string;
  head: NodeConfig;
  workers: NodeConfig[];
  /** host:port of the head, as workers and clients reach it. */
  headAddress: string;
}

const expandHome = (p: string): string => (p.startsWith('~/') ? path.join(os.homedir(), p.slice(2)) : p);

/** Reads and validates a cluster.yaml file. */
export function loadClusterConfig(file: string): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read the cluster file ${file}: ${(err as Error).message}`, {
      context: { field: 'file' },
    });
  }
  return parseClusterConfig(text, file);
}

/** Validates cluster.yaml text; `file` is only for messages. */
export function parseClusterConfig(text: string, file = 'cluster.yaml'): ClusterConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const at = e.linePos?.[0];
    throw new InvalidArgumentError(
      `${file}${at ? `:${at.line}:${at.col}` : ''}: not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
      { context: { field: 'file', line: String(at?.line ?? '') } },
    );
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidArgumentError(
      `${file}: must be a YAML mapping with cluster_name, install_dir, head and workers (see deploy/cluster.yaml)`,
      { context: { field: 'file' } },
    );
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.slice(0, 8).map((issue) => describeIssue(issue, doc, lineCounter, file));
    const first = parsed.error.issues[0]!;
    throw new InvalidArgumentError(lines.join('\n'), { context: { field: fieldPath(first.path) } });
  }
  return resolve(parsed.data, file, doc, lineCounter);
}

const fieldPath = (p: ReadonlyArray<PropertyKey>): string => issuePath(p) || '(top level)';

/** `file:line:col` of the value at `p` (or of key `key` inside it), as close as the document allows. */
function where(doc: Document, lc: LineCounter, file: string, p: ReadonlyArray<PropertyKey>, key?: string): string {
  let node: unknown = doc.getIn(p as unknown[], true);
  for (let i = p.length; node === undefined && i > 0; i--) node = doc.getIn(p.slice(0, i - 1) as unknown[], true);
  node ??= doc.contents;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((it) => isScalar(it.key) && it.key.value === key);
    if (pair && isScalar(pair.key)) node = pair.key;
  }
  const range = (node as { range?: [number, number, number] } | null)?.range;
  if (!range) return file;
  const pos = lc.linePos(range[0]);
  return `${file}:${pos.line}:${pos.col}`;
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lc: LineCounter, file: string): string {
  if (issue.code === 'unrecognized_keys') {
    const parent = fieldPath(issue.path);
    const valid = validKeys(issue.path);
    return issue.keys
      .map(
        (k) =>
          `${where(doc, lc, file, issue.path, k)}: ${issue.path.length ? `${parent}.` : ''}${k}: unknown key${valid ? `; valid keys here: ${valid}` : ''}`,
      )
      .join('\n');
  }
  let message = issue.message;
  if (issue.code === 'invalid_type') {
    const got = doc.getIn(issue.path as unknown[]);
    message =
      got === undefined
        ? `is required (${issue.expected})`
        : `must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}, got ${JSON.stringify(got)}`;
  } else if (issue.code === 'too_small' || issue.code === 'too_big') {
    message = `${issue.message.replace(/^Too (small|big): expected \w+ to (have |be )?/, 'must be ')}, got ${JSON.stringify(doc.getIn(issue.path as unknown[]))}`;
  } else if (issue.code === 'invalid_format' || issue.code === 'custom') {
    message = `${issue.message}, got ${JSON.stringify(doc.getIn(issue.path as unknown[]))}`;
  }
  return `${where(doc, lc, file, issue.path)}: ${fieldPath(issue.path)}: ${message}`;
}

function validKeys(p: ReadonlyArray<PropertyKey>): string {
  const top = Object.keys(schema.shape);
  const sshKeys = Object.keys(ssh.shape);
  const nodeKeys = Object.keys(nodeFields);
  if (p.length === 0) return top.join(', ');
  const last = p[p.length - 1];
  if (last === 'ssh') return sshKeys.join(', ');
  if (p[0] === 'head' && p.length === 1) return [...nodeKeys, 'port', 'worker'].join(', ');
  if (p[0] === 'workers' && p.length === 2) return [...nodeKeys, 'name'].join(', ');
  return '';
}

function resolve(c: RawConfig, file: string, doc: Document, lc: LineCounter): ClusterConfig {
  const runtimeRoot = path.posix.join(c.runtime_dir ?? '/tmp/troupe-clusters', c.cluster_name);
  const target = (host: string, own: RawConfig['ssh']): SshTarget => ({
    host,
    port: own?.port ?? c.ssh?.port ?? 22,
    user: own?.user ?? c.ssh?.user ?? os.userInfo().username,
    privateKey: expandHome(own?.private_key ?? c.ssh?.private_key ?? '~/.ssh/id_ed25519'),
    connectTimeoutMs: (own?.connect_timeout_s ?? c.ssh?.connect_timeout_s ?? 10) * 1000,
  });
  const node = (
    role: 'head' | 'worker',
    nodeName: string,
    n: RawConfig['head'] | NonNullable<RawConfig['workers']>[number],
  ): NodeConfig => ({
    name: nodeName,
    role,
    host: n.host,
    ssh: target(n.host, n.ssh),
    numCpus: n.num_cpus,
    numGpus: n.num_gpus,
    memory: n.memory,
    resources: n.resources,
    setupCommands: [...(c.setup_commands ?? []), ...(n.setup_commands ?? [])],
    runtimeDir: path.posix.join(runtimeRoot, nodeName),
  });
  const head = node('head', 'head', c.head);
  const workers = (c.workers ?? []).map((w) => node('worker', w.name ?? w.host, w));
  const seen = new Map<string, number>();
  workers.forEach((w, i) => {
    const before = seen.get(w.name);
    if (w.name === 'head' || before !== undefined) {
      const at = where(doc, lc, file, ['workers', i]);
      throw new InvalidArgumentError(
        `${at}: workers[${i}].name: ${w.name === 'head' ? '"head" names the head node' : `"${w.name}" is used by workers[${before}] too`}; give each worker on one host its own name`,
        { context: { field: `workers[${i}].name` } },
      );
    }
    seen.set(w.name, i);
  });
  if (
    c.heartbeat_period_ms !== undefined &&
    c.heartbeat_timeout_ms !== undefined &&
    c.heartbeat_timeout_ms <= c.heartbeat_period_ms
  ) {
    throw new InvalidArgumentError(
      `${where(doc, lc, file, ['heartbeat_timeout_ms'])}: heartbeat_timeout_ms must be larger than heartbeat_period_ms`,
      {
        context: { field: 'heartbeat_timeout_ms' },
      },
    );
  }
  const headPort = c.head.port ?? 7420;
  return {
    file,
    clusterName: c.cluster_name,
    installDir: c.install_dir,
    node: c.node ?? 'node',
    token: c.token,
    state: c.state,
    headPort,
    headWorker: c.head.worker ?? true,
    headAllowExecArgv: c.head.allow_exec_argv ?? false,
    heartbeatPeriodMs: c.heartbeat_period_ms,
    heartbeatTimeoutMs: c.heartbeat_timeout_ms,
    verifyTimeoutMs: (c.verify_timeout_s ?? 60) * 1000,
    knownHosts: expandHome(c.known_hosts ?? '~/.troupe/known_hosts'),
    head,
    workers,
    headAddress: `${head.host.includes(':') ? `[${head.host}]` : head.host}:${headPort}`,
  };
}
