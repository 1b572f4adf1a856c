import { z } from 'zod';
import { InternalError, InvalidArgumentError, ShutDownError } from '../common/index.js';
import { checkOptions, field, fieldError, type Fields } from '../options/index.js';
import type { JobInfo__Output } from '../generated/troupe/v1/JobInfo.js';
import type { JobServiceClient } from '../generated/troupe/v1/JobService.js';
import { troupeV1 } from '../transport/index.js';
import {
  callUnary,
  fromServiceError,
  makeClient,
  type ReplyOf,
  type RequestOf,
  type UnaryName,
} from '../transport/index.js';
import { packWorkingDir } from './pack.js';
import {
  PACKAGE_CHUNK_BYTES,
  nodePathValue,
  validateEnv,
  validateJobId,
  type JobInfo,
  type JobState,
} from './types.js';

export interface JobClientOptions {
  /** host:port of the head. Default: `TROUPE_ADDRESS`. */
  address?: string;
  /** Cluster token. Default: `TROUPE_TOKEN`. */
  token?: string;
  /** Largest gRPC message, both ways. Default 16 MiB (packages go in 1 MiB chunks whatever it is). */
  maxMessageBytes?: number;
}

export interface SubmitJobOptions {
  /** The command to run, e.g. `['node', 'main.js']` (`node` is the node binary Troupe runs on). A string is split on spaces. */
  entrypoint: string[] | string;
  /**
   * Folder packed and unpacked as the driver's working directory (without .git, node_modules and
   * .troupeignore entries). With a package.json and a lock file, the node runs `npm ci --omit=dev`
   * (once per lock file and node); `troupe` is always the node's own. Default: none, an empty folder.
   */
  workingDir?: string;
  /** Extra environment of the driver (TROUPE_ADDRESS and TROUPE_TOKEN are set by Troupe). */
  env?: Record<string, string>;
  /**
   * Folders for the driver's NODE_PATH, relative to its working directory or absolute on the node.
   * Only `require()` of CommonJS code reads NODE_PATH; ESM `import` does not (`troupe` itself and a
   * lock file's dependencies resolve from the job's node_modules). Default: none.
   */
  nodePath?: string[];
  /** CPUs held for the driver while it runs. Default 0. */
  numCpus?: number;
  /** An id of your choosing (letters, digits, _ . -); default: one made by the head. */
  jobId?: string;
  /** Labels kept with the job. */
  metadata?: Record<string, string>;
  /** Refuse working directories that pack larger than this. Default 100 MiB (the head has its own cap). */
  maxPackageBytes?: number;
}

const CLIENT_FIELDS: Fields<JobClientOptions> = {
  address: field(z.string(), 'a string host:port'),
  token: field(z.string(), 'a string'),
  maxMessageBytes: field(z.number().int().min(1), 'an integer number of bytes >= 1'),
};

const strings = z.record(z.string(), z.string());
const ENTRYPOINT_RULE = 'a non-empty array of strings, e.g. ["node", "main.js"]';
// Names and values of env and jobId get their own checks (validateEnv, validateJobId), shared with the head.
const SUBMIT_FIELDS: Fields<SubmitJobOptions> = {
  entrypoint: field(z.union([z.string(), z.array(z.string()).min(1)]), ENTRYPOINT_RULE),
  workingDir: field(z.string().min(1), 'a path to a folder'),
  env: field(strings, 'an object of string values'),
  nodePath: field(z.array(z.string()), 'an array of folder paths'),
  numCpus: field(z.number().finite().min(0), 'a finite number >= 0'),
  jobId: field(z.string(), 'a string'),
  metadata: field(strings, 'an object of string values'),
  maxPackageBytes: field(z.number().int().min(1), 'an integer number of bytes >= 1'),
};

export interface TailOptions {
  /** Keep reading until the job ends. Default true. */
  follow?: boolean;
  /** Start at this byte of the log. Default 0. */
  offset?: number;
}

export class JobClient {
  readonly address: string;
  private readonly client: JobServiceClient;
  private closed = false;

  constructor(options: JobClientOptions = {}) {
    checkOptions<JobClientOptions>(options, CLIENT_FIELDS, { what: 'JobClient' });
    const address = options.address ?? (process.env.TROUPE_ADDRESS || undefined);
    const token = options.token ?? (process.env.TROUPE_TOKEN || undefined);
    if (!address)
      throw new InvalidArgumentError('JobClient needs the head address: pass { address } or set TROUPE_ADDRESS', {
        context: { field: 'address' },
      });
    if (!token)
      throw new InvalidArgumentError(
        `talking to ${address} needs the cluster token: pass { token } or set TROUPE_TOKEN`,
        { context: { field: 'token' } },
      );
    this.address = address;
    this.client = makeClient(troupeV1.JobService, address, token, options.maxMessageBytes);
  }

  /** Packs and uploads the working directory, submits the job; resolves with its id once the head has it. */
  async submit(options: SubmitJobOptions): Promise<string> {
    checkOptions<SubmitJobOptions>(options, SUBMIT_FIELDS, { what: 'submit', required: ['entrypoint'] });
    const entrypoint =
      typeof options.entrypoint === 'string' ? options.entrypoint.split(/\s+/).filter(Boolean) : options.entrypoint;
    if (entrypoint.length === 0) throw fieldError('entrypoint', ENTRYPOINT_RULE, options.entrypoint);
    const numCpus = options.numCpus ?? 0;
    if (options.jobId !== undefined) validateJobId(options.jobId, 'jobId');
    const env = validateEnv({ ...options.env });
    if (options.nodePath?.length) {
      if (env.NODE_PATH !== undefined)
        throw new InvalidArgumentError('give NODE_PATH either as nodePath (--node-path) or in env (--env), not both', {
          context: { field: 'nodePath' },
        });
      env.NODE_PATH = nodePathValue(options.nodePath);
    }
    let packageId = '';
    if (options.workingDir !== undefined) {
      const pkg = await packWorkingDir(options.workingDir, { maxPackageBytes: options.maxPackageBytes });
      packageId = await this.upload(pkg.bytes, pkg.packageId);
    }
    const jobId = options.jobId ?? '';
    const reply = await this.call('SubmitJob', {
      entrypoint,
      packageId,
      env,
      numCpus,
      jobId,
      metadata: options.metadata ?? {},
    });
    return toJobInfo(reply.job).jobId;
  }

  async status(jobId: string): Promise<JobInfo> {
    return toJobInfo((await this.call('GetJob', { jobId, waitMs: 0 })).job);
  }

  /** Resolves when the job has ended (or after `timeoutMs`, with its state then). */
  async wait(jobId: string, options: { timeoutMs?: number } = {}): Promise<JobInfo> {
    const deadline = Date.now() + (options.timeoutMs ?? 24 * 3600_000);
    for (;;) {
      const left = deadline - Date.now();
      const waitMs = Math.max(0, Math.min(left, 60_000));
      const job = toJobInfo((await this.call('GetJob', { jobId, waitMs }, Math.min(left, 60_000) + 10_000)).job);
      if (job.state === 'SUCCEEDED' || job.state === 'FAILED' || job.state === 'STOPPED' || Date.now() >= deadline)
        return job;
    }
  }

  async list(): Promise<JobInfo[]> {
    return (await this.call('ListJobs', {})).jobs.map(toJobInfo);
  }

  /** Asks the job to stop (SIGTERM to the driver's process group, SIGKILL after 5 s). */
  async stop(jobId: string): Promise<JobInfo> {
    return toJobInfo((await this.call('StopJob', { jobId })).job);
  }

  /** The job's log so far, as text. */
  async logs(jobId: string): Promise<string> {
    let out = '';
    for await (const text of this.tailLogs(jobId, { follow: false })) out += text;
    return out;
  }

  /** The job's log as it grows; with `follow` (the default) until the job ends. */
  async *tailLogs(jobId: string, options: TailOptions = {}): AsyncGenerator<string> {
    const follow = options.follow ?? true;
    let offset = options.offset ?? 0;
    const decoder = new TextDecoder();
    for (;;) {
      const r = await this.call('GetJobLogs', { jobId, offset, waitMs: follow ? 20_000 : 0, maxBytes: 0 }, 40_000);
      offset = Number(r.nextOffset);
      if (r.data.length) yield decoder.decode(r.data, { stream: true });
      if (r.eof || (!follow && r.data.length === 0)) break;
    }
    const rest = decoder.decode();
    if (rest) yield rest;
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }

  private call<M extends UnaryName<JobServiceClient>>(
    method: M,
    req: RequestOf<JobServiceClient, M>,
    timeoutMs = 30_000,
  ): Promise<ReplyOf<JobServiceClient, M>> {
    if (this.closed) return Promise.reject(new ShutDownError('this JobClient was closed'));
    return callUnary(this.client, method, req, 'head', this.address, timeoutMs);
  }

  private upload(bytes: Buffer, packageId: string): Promise<string> {
    if (this.closed) return Promise.reject(new ShutDownError('this JobClient was closed'));
    return new Promise((resolve, reject) => {
      const call = this.client.UploadJobPackage((err, reply) => {
        if (err) reject(fromServiceError(err, 'head', this.address));
        else if (!reply) reject(new InternalError('the head answered the upload with nothing'));
        else resolve(reply.packageId);
      });
      const write = async (): Promise<void> => {
        for (let i = 0; i < bytes.length || i === 0; i += PACKAGE_CHUNK_BYTES) {
          const ok = call.write({
            packageId,
            totalBytes: bytes.length,
            data: bytes.subarray(i, i + PACKAGE_CHUNK_BYTES),
          });
          if (!ok) await new Promise((r) => call.once('drain', r));
          if (bytes.length === 0) break;
        }
        call.end();
      };
      void write();
    });
  }
}

/** A job as the head describes it; its state is one of the JobState names. */
function toJobInfo(w: JobInfo__Output | null): JobInfo {
  if (!w) throw new InternalError("the head's reply has no job");
  return { ...w, state: w.state as JobState };
}
