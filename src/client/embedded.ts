/**
 * The embedded cluster `connect()` starts when it has no address: a head and one worker in this
 * process, in-memory state. Imported dynamically, so joining a remote cluster loads none of it.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { configureLogging } from '../common/index.js';
import { newSession } from '../common/index.js';
import { HeadServer } from '../head/index.js';
import { WorkerAgent } from '../worker/index.js';
import { Cluster } from './cluster.js';

/** The connect options an embedded cluster uses (see ConnectOptions for each). */
export interface EmbeddedOptions {
  token?: string;
  numCpus?: number;
  numGpus?: number;
  resources?: Record<string, number>;
  warmPoolSize?: number;
  maxMessageBytes?: number;
}

export async function startEmbedded(
  options: EmbeddedOptions,
  namespace: string,
  ownerId: string,
  execArgv: string[],
): Promise<Cluster> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const session = newSession('embedded');
  if (!process.env.TROUPE_LOG_TO_STDERR)
    configureLogging({ file: path.join(session.logs, `embedded-${process.pid}.log`), name: 'embedded' });
  // The driver's own loader flags are this head's owner's: its actors may be started with them.
  const head = new HeadServer({ token, maxMessageBytes: options.maxMessageBytes, trustedExecArgv: execArgv });
  const headAddress = await head.start();
  const worker = new WorkerAgent({
    headAddress,
    token,
    logDir: session.logs,
    numCpus: options.numCpus,
    numGpus: options.numGpus,
    resources: options.resources,
    warmPoolSize: options.warmPoolSize,
    fenceOnSilence: false,
    maxMessageBytes: options.maxMessageBytes,
    driverExecArgv: execArgv,
  });
  try {
    await worker.start();
  } catch (err) {
    await head.stop();
    throw err;
  }
  const cluster = new Cluster({
    address: headAddress,
    token,
    namespace,
    maxMessageBytes: options.maxMessageBytes,
    execArgv,
    ownerId,
    jobId: process.env.TROUPE_JOB_ID || undefined,
    embedded: {
      async stop() {
        await worker.stop();
        await head.stop();
      },
    },
  });
  cluster.nodeId = worker.nodeId;
  return cluster;
}
