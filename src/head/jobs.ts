/**
 * Jobs on the head: working-directory packages (kept in the state store in chunks), job records
 * (the `jobs` table), driver logs (appended to the store as the supervisor sends them), and one
 * supervisor actor per job (src/jobs/supervisor.ts) that runs the driver on a node with the job's
 * resources. Everything a client can ask about survives a head restart with a persistent store.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, JobNotFoundError, MessageTooLargeError, describeDeath, type DeathCause } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { Mutation, OpaqueRow, StateStore } from '../state/index.js';
import { encode } from '../transport/codec.js';
import { toServiceError, unary } from '../transport/grpc.js';
import { DEFAULT_MAX_PACKAGE_BYTES, PACKAGE_CHUNK_BYTES, SUPERVISOR_MODULE, SUPERVISOR_TOKEN_ENV, TERMINAL_JOB_STATES, formatBytes, validateEnv, validateJobId } from '../jobs/index.js';
import type { JobInfo, JobState, SupervisorArgs } from '../jobs/index.js';
import type { ActorManager } from './actor-manager.js';
import { validateSpec } from './spec.js';

/** Key-value namespace of packages (`package/<sha256>/<n>`) and logs (`log/<job>/<offset>`). */
const KV = 'troupe.jobs';
/** A job's log beyond this is dropped (with a note in the log). */
const MAX_LOG_BYTES = 64 * 1024 * 1024;
const MAX_LOG_READ = 4 * 1024 * 1024;
/** After a stop request, how long the supervisor has before it is killed outright. */
const STOP_DEADLINE_MS = 15_000;
const STORED_CHUNK = 4 * 1024 * 1024;

/** A job as the store keeps it: what users see (JobInfo, keyed by `id`) and what only the head needs. */
interface JobRow extends OpaqueRow, Omit<JobInfo, 'jobId'> {
  id: string;
  env: Record<string, string>;
  supervisorId: string;
  stopRequestedAtMs: number;
}

interface SubmitRequest {
  entrypoint: string[];
  packageId: string;
  env: Record<string, string>;
  numCpus: number;
  jobId: string;
  metadata: Record<string, string>;
}

interface ReportRequest {
  jobId: string;
  supervisorId: string;
  state: string;
  message: string;
  exitCode: number;
  driverPid: number;
  logOffset: number;
  logData: Buffer;
}

export interface JobManagerOptions {
  store: StateStore;
  actors: ActorManager;
  token: string;
  /** The head's address, once it listens (what drivers and supervisors dial). */
  address: () => string;
  log: Logger;
  maxPackageBytes?: number;
}

const owner = (jobId: string): string => `job:${jobId}`;
const isTerminal = (s: string): boolean => TERMINAL_JOB_STATES.has(s);

export class JobManager {
  private readonly jobs = new Map<string, JobRow>();
  /** Log chunks by job, loaded from the store on first read. */
  private readonly logs = new Map<string, Buffer[]>();
  private readonly changes = new EventEmitter();
  private readonly maxPackageBytes: number;

  constructor(private readonly o: JobManagerOptions) {
    this.changes.setMaxListeners(0);
    this.maxPackageBytes = o.maxPackageBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  }

  /** gRPC handlers of the job RPCs, added to HeadService. */
  handlers(): grpc.UntypedServiceImplementation {
    const u = <Req, Rep>(name: string, fn: (req: Req) => Promise<Rep> | Rep) => unary<Req, Rep>(this.o.log, `HeadService.${name}`, fn);
    return {
      UploadJobPackage: (call: grpc.ServerReadableStream<{ packageId: string; totalBytes: number; data: Buffer }, object>, cb: grpc.sendUnaryData<object>) =>
        this.upload(call, cb),
      GetJobPackage: (call: grpc.ServerWritableStream<{ packageId: string; jobId: string }, object>) => this.download(call),
      SubmitJob: u('SubmitJob', (req: SubmitRequest) => this.submit(req)),
      GetJob: u('GetJob', async (req: { jobId: string; waitMs: number }) => ({ job: info(await this.wait(this.get(req.jobId), req.waitMs)) })),
      ListJobs: u('ListJobs', () => ({ jobs: [...this.jobs.values()].sort((a, b) => a.createdAtMs - b.createdAtMs).map(info) })),
      StopJob: u('StopJob', async (req: { jobId: string }) => ({ job: info(await this.stop(this.get(req.jobId))) })),
      GetJobLogs: u('GetJobLogs', (req: { jobId: string; offset: number; waitMs: number; maxBytes: number }) => this.readLogs(req)),
      ReportJob: u('ReportJob', (req: ReportRequest) => this.report(req)),
    };
  }

  /** Reloads job records; jobs whose supervisor did not survive are failed, the others watched. */
  async restore(): Promise<void> {
    for (const row of await this.o.store.list('jobs')) {
      const job = row as JobRow;
      this.jobs.set(job.id, job);
      if (isTerminal(job.state)) continue;
      const sup = this.o.actors.directory.ownedBy(owner(job.id))[0];
      if (sup) void this.watch(job, sup.actorId);
      else await this.end(job, 'FAILED', 'its supervisor was lost while the head was down');
    }
    if (this.jobs.size) this.o.log.info({ jobs: this.jobs.size }, 'jobs reloaded');
  }

  private get(jobId: string): JobRow {
    const job = this.jobs.get(jobId);
    if (!job) throw new JobNotFoundError(`no job with id ${JSON.stringify(jobId)}; \`troupe job list\` shows the jobs this head knows`, { context: { field: 'job_id' } });
    return job;
  }

  private upload(call: grpc.ServerReadableStream<{ packageId: string; totalBytes: number; data: Buffer }, object>, cb: grpc.sendUnaryData<object>): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let id = '';
    let total = 0;
    let failed = false;
    const fail = (err: Error): void => {
      if (failed) return;
      failed = true;
      cb(toServiceError(err));
    };
    call.on('data', (c: { packageId: string; totalBytes: number; data: Buffer }) => {
      if (failed) return;
      if (!id) {
        id = c.packageId;
        total = Number(c.totalBytes);
        if (!/^[0-9a-f]{64}$/.test(id)) return fail(new InvalidArgumentError('package_id must be the hex SHA-256 of the package', { context: { field: 'package_id' } }));
        if (total > this.maxPackageBytes) {
          return fail(new MessageTooLargeError(`the job package is ${formatBytes(total)}, over this head's cap of ${formatBytes(this.maxPackageBytes)}; leave large files out with .troupeignore`, { context: { field: 'total_bytes' } }));
        }
      } else if (c.packageId !== id) {
        return fail(new InvalidArgumentError('every chunk of one upload must carry the same package_id', { context: { field: 'package_id' } }));
      }
      size += c.data.length;
      if (size > total) return fail(new InvalidArgumentError(`the upload sent more than the ${total} bytes it announced`, { context: { field: 'total_bytes' } }));
      chunks.push(c.data);
    });
    call.on('error', () => (failed = true));
    call.on('end', () => {
      if (failed) return;
      if (!id) return fail(new InvalidArgumentError('the upload held no chunk', { context: { field: 'data' } }));
      const bytes = Buffer.concat(chunks);
      if (bytes.length !== total) return fail(new InvalidArgumentError(`the upload ended after ${bytes.length} of the ${total} bytes it announced`, { context: { field: 'total_bytes' } }));
      const got = createHash('sha256').update(bytes).digest('hex');
      if (got !== id) return fail(new InvalidArgumentError(`the package does not match its package_id (sha256 ${got})`, { context: { field: 'package_id' } }));
      this.storePackage(id, bytes).then(
        () => cb(null, { packageId: id, totalBytes: total }),
        (err: Error) => fail(err),
      );
    });
  }

  private async storePackage(id: string, bytes: Buffer): Promise<void> {
    if ((await this.o.store.kvList(KV, `package/${id}/`)).length > 0) return; // same content, stored already
    const mutations: Mutation[] = [];
    for (let i = 0, n = 0; i < bytes.length || n === 0; i += STORED_CHUNK, n++) {
      mutations.push({ op: 'kvPut', namespace: KV, key: `package/${id}/${String(n).padStart(6, '0')}`, value: bytes.subarray(i, i + STORED_CHUNK) });
    }
    await this.o.store.commit(mutations);
    this.o.log.info({ packageId: id, bytes: bytes.length }, 'job package stored');
  }

  private async download(call: grpc.ServerWritableStream<{ packageId: string; jobId: string }, object>): Promise<void> {
    try {
      const { packageId, jobId } = call.request;
      const job = this.get(jobId);
      if (job.packageId !== packageId || isTerminal(job.state)) {
        throw new InvalidArgumentError(`job ${jobId} ${isTerminal(job.state) ? 'has ended' : 'has another package'}; its package cannot be fetched`, { context: { field: 'package_id' } });
      }
      const keys = await this.o.store.kvList(KV, `package/${packageId}/`);
      if (keys.length === 0) throw new InvalidArgumentError(`the head holds no package ${packageId}`, { context: { field: 'package_id' } });
      for (const key of keys.sort()) {
        const part = Buffer.from((await this.o.store.kvGet(KV, key)) ?? new Uint8Array());
        for (let i = 0; i < part.length; i += PACKAGE_CHUNK_BYTES) {
          const ok = call.write({ packageId, totalBytes: job.packageBytes, data: part.subarray(i, i + PACKAGE_CHUNK_BYTES) });
          if (!ok) await new Promise((r) => call.once('drain', r));
        }
      }
      call.end();
    } catch (err) {
      call.emit('error', toServiceError(err));
    }
  }

  private async submit(req: SubmitRequest): Promise<object> {
    const entrypoint = req.entrypoint ?? [];
    if (entrypoint.length === 0 || !entrypoint[0]) throw new InvalidArgumentError('entrypoint is required, e.g. ["node", "main.js"]', { context: { field: 'entrypoint' } });
    if (entrypoint.some((a) => a.includes('\0'))) throw new InvalidArgumentError('entrypoint arguments must not hold NUL bytes', { context: { field: 'entrypoint' } });
    const env = validateEnv(req.env ?? {});
    const numCpus = req.numCpus ?? 0;
    if (!Number.isFinite(numCpus) || numCpus < 0) throw new InvalidArgumentError(`num_cpus must be a number >= 0, got ${numCpus}`, { context: { field: 'num_cpus' } });
    const jobId = req.jobId ? validateJobId(req.jobId) : `job-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    if (this.jobs.has(jobId)) throw new InvalidArgumentError(`a job with id ${jobId} exists already; pick another id`, { context: { field: 'job_id' } });
    let packageBytes = 0;
    if (req.packageId) {
      const keys = await this.o.store.kvList(KV, `package/${req.packageId}/`);
      if (keys.length === 0) throw new InvalidArgumentError(`the head holds no package ${req.packageId}; upload it first (UploadJobPackage)`, { context: { field: 'package_id' } });
      for (const k of keys) packageBytes += (await this.o.store.kvGet(KV, k))?.length ?? 0;
    }
    const job: JobRow = {
      id: jobId,
      state: 'PENDING',
      entrypoint,
      env,
      numCpus,
      packageId: req.packageId ?? '',
      packageBytes,
      message: 'waiting for a node to run the driver',
      exitCode: -1,
      nodeId: '',
      createdAtMs: Date.now(),
      startedAtMs: 0,
      endedAtMs: 0,
      supervisorId: randomBytes(6).toString('hex'),
      logBytes: 0,
      stopRequestedAtMs: 0,
      metadata: req.metadata ?? {},
      driverPid: 0,
    };
    this.jobs.set(jobId, job);
    this.logs.set(jobId, []);
    await this.save(job);
    this.o.log.info({ jobId, entrypoint, numCpus, packageBytes }, 'job submitted');
    const args: SupervisorArgs = { jobId, supervisorId: job.supervisorId, headAddress: this.o.address(), entrypoint, env, packageId: job.packageId };
    const spec = validateSpec({
      module: SUPERVISOR_MODULE,
      exportName: 'JobSupervisor',
      args: encode([args], 'the job supervisor arguments'),
      resources: { amounts: numCpus > 0 ? { CPU: numCpus } : {} },
      name: '',
      namespace: 'troupe.jobs',
      maxConcurrency: 1,
      isolation: 'process',
      schedulingStrategy: 'DEFAULT',
      nodeAffinity: null,
      lifetime: 'detached',
      maxRestarts: 0,
      maxTaskRetries: 0,
      // The driver needs the cluster token; the supervisor takes it from here and drops it from its environment.
      env: { [SUPERVISOR_TOKEN_ENV]: this.o.token },
      execArgv: [],
      placementGroupId: '',
      bundleIndex: -1,
    });
    const created = this.o.actors.create(spec, owner(jobId), () => undefined);
    created.then(
      (rec) => void this.watch(job, rec.actorId),
      (err: Error) => void this.end(job, 'FAILED', `could not start the job's supervisor: ${err.message}`),
    );
    // A request that can never be placed fails at once; give it a moment to say so.
    await Promise.race([created.catch(() => undefined), sleep(20)]);
    await Promise.resolve();
    return { job: info(job) };
  }

  /** Fails the job if its supervisor dies before the job has ended. */
  private async watch(job: JobRow, actorId: string): Promise<void> {
    const rec = this.o.actors.directory.get(actorId);
    if (!rec) return;
    while (rec.state !== 'DEAD' && !isTerminal(job.state)) await this.o.actors.directory.waitForDeath(rec, 60_000);
    if (isTerminal(job.state)) return;
    // Its last report may still be on the way.
    await sleep(500);
    if (isTerminal(job.state)) return;
    const why = rec.death ? describeDeath(rec.death as DeathCause) : 'it is gone';
    await this.end(job, job.stopRequestedAtMs ? 'STOPPED' : 'FAILED', `the job's supervisor died: ${why}`);
  }

  private async stop(job: JobRow): Promise<JobRow> {
    if (isTerminal(job.state)) return job;
    if (!job.stopRequestedAtMs) {
      job.stopRequestedAtMs = Date.now();
      await this.save(job);
      this.o.log.info({ jobId: job.id }, 'job stop requested');
    }
    if (job.state === 'PENDING') {
      await this.killSupervisor(job);
      await this.end(job, 'STOPPED', 'stopped on request before the driver started');
      return job;
    }
    setTimeout(() => {
      if (isTerminal(job.state)) return;
      void this.killSupervisor(job).then(() => this.end(job, 'STOPPED', `stopped on request; the driver did not stop within ${STOP_DEADLINE_MS / 1000} s, so its supervisor was killed`));
    }, STOP_DEADLINE_MS).unref();
    return job;
  }

  private async killSupervisor(job: JobRow): Promise<void> {
    for (const rec of this.o.actors.directory.ownedBy(owner(job.id))) {
      await this.o.actors.kill(rec.actorId).catch((err: Error) => this.o.log.warn({ jobId: job.id, err: err.message }, 'could not kill a job supervisor'));
    }
  }

  private async end(job: JobRow, state: JobState, message: string, exitCode = job.exitCode): Promise<void> {
    if (isTerminal(job.state)) return;
    job.state = state;
    job.message = message;
    job.exitCode = exitCode;
    job.endedAtMs = Date.now();
    await this.save(job);
    this.o.log.info({ jobId: job.id, state, message }, 'job ended');
    this.changes.emit(job.id);
    // The supervisor has nothing left to do; free its resources (and the package, if no other job needs it).
    setTimeout(() => void this.killSupervisor(job), 200).unref();
    if (job.packageId && ![...this.jobs.values()].some((j) => j.packageId === job.packageId && !isTerminal(j.state))) {
      const keys = await this.o.store.kvList(KV, `package/${job.packageId}/`).catch(() => [] as string[]);
      if (keys.length) await this.o.store.commit(keys.map((key) => ({ op: 'kvDelete' as const, namespace: KV, key }))).catch(() => undefined);
    }
  }

  private async report(req: ReportRequest): Promise<object> {
    const job = this.get(req.jobId);
    if (req.supervisorId !== job.supervisorId) {
      throw new InvalidArgumentError(`supervisor ${req.supervisorId} is not the one running job ${job.id}`, { context: { field: 'supervisor_id' } });
    }
    const stop = job.stopRequestedAtMs > 0 || isTerminal(job.state);
    if (isTerminal(job.state)) return { logOffset: job.logBytes, stop };
    const mutations: Mutation[] = [];
    const data = Buffer.from(req.logData ?? []);
    const offset = Number(req.logOffset);
    if (data.length > 0) {
      await this.loadLogs(job.id);
      // A resend overlaps what the head holds already: keep only the new bytes.
      let fresh = offset < job.logBytes ? data.subarray(job.logBytes - offset) : data;
      if (job.logBytes + fresh.length > MAX_LOG_BYTES) {
        const room = Math.max(0, MAX_LOG_BYTES - job.logBytes);
        fresh = room > 0 ? Buffer.concat([fresh.subarray(0, room - Math.min(room, 80)), Buffer.from(`\n[troupe: the log reached ${formatBytes(MAX_LOG_BYTES)}; the rest is dropped]\n`)]) : Buffer.alloc(0);
      }
      if (fresh.length > 0) {
        mutations.push({ op: 'kvPut', namespace: KV, key: `log/${job.id}/${String(job.logBytes).padStart(16, '0')}`, value: fresh });
        this.logs.get(job.id)!.push(fresh);
        job.logBytes += fresh.length;
      }
    }
    const reported = req.state;
    if (reported === 'RUNNING' && job.state === 'PENDING') {
      job.state = 'RUNNING';
      job.startedAtMs = Date.now();
      job.message = req.message;
      job.driverPid = req.driverPid;
      job.nodeId = this.o.actors.directory.ownedBy(owner(job.id))[0]?.nodeId ?? '';
    }
    if (mutations.length || reported === 'RUNNING') {
      mutations.push({ op: 'put', table: 'jobs', id: job.id, row: job });
      await this.o.store.commit(mutations);
      this.changes.emit(job.id);
    }
    if (isTerminal(reported)) await this.end(job, reported as JobState, req.message, req.exitCode);
    return { logOffset: job.logBytes, stop: stop || isTerminal(job.state) };
  }

  private async loadLogs(jobId: string): Promise<Buffer[]> {
    let chunks = this.logs.get(jobId);
    if (chunks) return chunks;
    chunks = [];
    for (const key of (await this.o.store.kvList(KV, `log/${jobId}/`)).sort()) {
      const v = await this.o.store.kvGet(KV, key);
      if (v) chunks.push(Buffer.from(v));
    }
    this.logs.set(jobId, chunks);
    return chunks;
  }

  private async readLogs(req: { jobId: string; offset: number; waitMs: number; maxBytes: number }): Promise<object> {
    const job = this.get(req.jobId);
    const offset = Math.max(0, Number(req.offset) || 0);
    const max = req.maxBytes > 0 ? Math.min(req.maxBytes, MAX_LOG_READ) : MAX_LOG_READ;
    if (offset >= job.logBytes && !isTerminal(job.state) && req.waitMs > 0) {
      await this.waitChange(job.id, Math.min(req.waitMs, 60_000), () => offset < job.logBytes || isTerminal(job.state));
    }
    const chunks = await this.loadLogs(job.id);
    const out: Buffer[] = [];
    let pos = 0;
    let taken = 0;
    for (const c of chunks) {
      const end = pos + c.length;
      if (end > offset && taken < max) {
        const part = c.subarray(Math.max(0, offset - pos), Math.max(0, offset - pos) + (max - taken));
        out.push(part);
        taken += part.length;
      }
      pos = end;
    }
    const next = offset + taken;
    return { data: Buffer.concat(out), nextOffset: next, eof: isTerminal(job.state) && next >= job.logBytes, state: job.state };
  }

  private async wait(job: JobRow, waitMs: number): Promise<JobRow> {
    if (waitMs > 0 && !isTerminal(job.state)) await this.waitChange(job.id, Math.min(waitMs, 5 * 60_000), () => isTerminal(job.state));
    return job;
  }

  private waitChange(jobId: string, timeoutMs: number, done: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (done()) finish();
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.changes.off(jobId, check);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.changes.on(jobId, check);
    });
  }

  private save(job: JobRow): Promise<void> {
    return this.o.store.put('jobs', job.id, job);
  }
}

function info(j: JobRow): object {
  return {
    jobId: j.id,
    state: j.state,
    entrypoint: j.entrypoint,
    message: j.message,
    exitCode: j.exitCode,
    nodeId: j.nodeId,
    createdAtMs: j.createdAtMs,
    startedAtMs: j.startedAtMs,
    endedAtMs: j.endedAtMs,
    numCpus: j.numCpus,
    packageId: j.packageId,
    packageBytes: j.packageBytes,
    logBytes: j.logBytes,
    metadata: j.metadata,
    driverPid: j.driverPid,
  };
}
