import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { DEFAULT_NAMESPACE, NAMESPACE_FIELD } from '../options/index.js';
import { InvalidArgumentError } from '../common/index.js';
import { checkOptions, field, type Fields } from '../options/index.js';
import { hostRuntime } from '../common/index.js';
import { Cluster } from './cluster.js';
import { localAddressTowards } from './head-link.js';
import { currentCluster } from './in-actor.js';
import { loaderArgv } from './loader-argv.js';

export interface ConnectOptions {
  /** host:port of a running head. Default: `TROUPE_ADDRESS`; when neither is set, an embedded cluster starts in this process. */
  address?: string;
  /** Cluster token. Default: `TROUPE_TOKEN`. A new random one for an embedded cluster. */
  token?: string;
  /** Namespace for named actors created or looked up through this handle. Default 'default'. */
  namespace?: string;
  /** Embedded cluster only: CPUs of its worker. Default: this machine's. */
  numCpus?: number;
  /** Embedded cluster only: GPUs of its worker. Default: what nvidia-smi finds. */
  numGpus?: number;
  /** Embedded cluster only: custom resources of its worker. */
  resources?: Record<string, number>;
  /** Embedded cluster only: actor host processes kept warm. Default 2. */
  warmPoolSize?: number;
  /** Largest gRPC message, both ways. Default 16 MiB. */
  maxMessageBytes?: number;
  /** How long calls that need the head (spawn, getActor, status) wait while it is down or restarting. Default 30 s. */
  headTimeoutMs?: number;
}

const count = field(z.number().finite().min(0), 'a finite number >= 0');
const FIELDS: Fields<ConnectOptions> = {
  address: field(z.string(), 'a string host:port'),
  token: field(z.string(), 'a string'),
  namespace: NAMESPACE_FIELD,
  numCpus: count,
  numGpus: count,
  resources: field(
    z.record(z.string().min(1), z.number().finite().min(0)),
    'an object of resource names to numbers >= 0',
  ),
  warmPoolSize: field(z.number().int().min(0), 'an integer >= 0'),
  maxMessageBytes: field(z.number().int().min(1), 'an integer number of bytes >= 1'),
  headTimeoutMs: count,
};

/**
 * Connects to a cluster. With no address (and no `TROUPE_ADDRESS`) starts an embedded one — a head
 * and one worker in this process, in-memory state — like `ray.init()`. Inside an actor, with no
 * address, it is the actor's own cluster (`currentCluster()`), never a new one.
 */
export async function connect(options: ConnectOptions = {}): Promise<Cluster> {
  checkOptions<ConnectOptions>(options, FIELDS, { what: 'connect' });
  if (options.address === undefined && hostRuntime()) return currentCluster();
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const ownerId = `driver-${randomBytes(6).toString('hex')}`;
  const execArgv = loaderArgv();
  const address = options.address ?? (process.env.TROUPE_ADDRESS || undefined);
  if (address) {
    const token = options.token ?? (process.env.TROUPE_TOKEN || undefined);
    if (!token) {
      throw new InvalidArgumentError(
        `connecting to ${address} needs the cluster token: pass { token } or set TROUPE_TOKEN`,
        { context: { field: 'token' } },
      );
    }
    const cluster = new Cluster({
      address,
      token,
      namespace,
      maxMessageBytes: options.maxMessageBytes,
      execArgv,
      ownerId,
      headTimeoutMs: options.headTimeoutMs,
      jobId: process.env.TROUPE_JOB_ID || undefined,
    });
    try {
      // Fails now, with a clear error, if the address or token is wrong.
      const status = await cluster.status();
      const local = await localAddressTowards(address).catch(() => '');
      const hostOf = (a: string): string => a.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      cluster.nodeId = status.nodes.find((n) => n.state === 'ALIVE' && hostOf(n.address) === local)?.nodeId ?? '';
    } catch (err) {
      await cluster.shutdown();
      throw err;
    }
    return cluster;
  }
  // Loaded only here, so a driver that joins a cluster never loads the head or the state store.
  const { startEmbedded } = await import('./embedded.js');
  return startEmbedded(options, namespace, ownerId, execArgv);
}
