/**
 * Job lifecycle on the head: job records (the `jobs` table) and one supervisor actor per job
 * (src/jobs/supervisor.ts) that runs the driver on a node with the job's resources. The package
 * and log stores live in job-packages.ts and job-logs.ts; the RPCs in job-service.ts. Everything
 * a client can ask about survives a head restart with a persistent store.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, JobNotFoundError, describeDeath, type DeathCause } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { Mutation, OpaqueRow, StateStore } from '../state/index.js';
import { encode } from '../objects/index.js';
import { SUPERVISOR_MODULE, TERMINAL_JOB_STATES, validateEnv, validateJobId } from '../jobs/index.js';
import type { JobInfo, JobState, SupervisorArgs } from '../jobs/index.js';
import type { ActorManager } from './actor-manager.js';
import { JobLogs, MAX_LOG_READ } from './job-logs.js';
import { JobPackages } from './job-packages.js';
import { validateSpec } from './spec.js';

/** After a stop request, how long the supervisor has before it is killed outright. */
const STOP_DEADLINE_MS = 15_000;

/** A job as the store keeps it: what users see (JobInfo, keyed by `id`) and what only the head needs. */
export interface JobRow extends OpaqueRow, Omit<JobInfo, 'jobId'> {
  id: string;
  env: Record<string, string>;
  supervisorId: string;
  stopRequestedAtMs: number;
}

export interface SubmitRequest {
  entrypoint: string[];
  packageId: string;
  env: Record<string, string>;
  numCpus: number;
  jobId: string;
  metadata: Record<string, string>;
}

export interface ReportRequest {
  jobId: string;
  supervisorId: string;
  state: string;
  message: string;
  exitCode: number;
  driverPid: number;
  logOffset: number;
  logData: Buffer;
}

export interface LogsRequest {
  jobId: string;
  offset: number;
  waitMs: number;
  maxBytes: number;
}

export interface JobManagerOptions {
  store: StateStore;
  actors: ActorManager;
  /** The head's address, once it listens (what drivers and supervisors dial). */
  address: () => string;
  log: Logger;
  maxPackageBytes?: number;
}

const owner = (jobId: string): string => `job:${jobId}`;
const isTerminal = (s: string): boolean => TERMINAL_JOB_STATES.has(s);

export class JobManager {
  /** Working-directory packages, uploaded before a job is submitted. */
  readonly packages: JobPackages;
  private readonly jobs = new Map<string, JobRow>();
  private readonly logs: JobLogs;
  private readonly changes = new EventEmitter();
  /** Jobs whose supervisor has reported since this head started: it is alive and can stop its own work. */
  private readonly reporting = new Set<string>();

  constructor(private readonly o: JobManagerOptions) {
    this.changes.setMaxListeners(0);
    this.packages = new JobPackages(o.store, o.log, o.maxPackageBytes);
    this.logs = new JobLogs(o.store);
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

  /** @throws JobNotFoundError */
  get(jobId: string): JobRow {
    const job = this.jobs.get(jobId);
    if (!job) {
      throw new JobNotFoundError(
        `no job with id ${JSON.stringify(jobId)}; \`troupe job list\` shows the jobs this head knows`,
        {
          context: { field: 'job_id' },
        },
      );
    }
    return job;
  }

  /** Every job, oldest first. */
  list(): JobRow[] {
    return [...this.jobs.values()].sort((a, b) => a.createdAtMs - b.createdAtMs);
  }

  /** The job whose supervisor may fetch this package: it must be the job's own, and the job not ended. */
  packageFor(jobId: string, packageId: string): JobRow {
    const job = this.get(jobId);
    if (job.packageId !== packageId || isTerminal(job.state)) {
      throw new InvalidArgumentError(
        `job ${jobId} ${isTerminal(job.state) ? 'has ended' : 'has another package'}; its package cannot be fetched`,
        {
          context: { field: 'package_id' },
        },
      );
    }
    return job;
  }

  async submit(req: SubmitRequest): Promise<JobRow> {
    const entrypoint = req.entrypoint ?? [];
    if (entrypoint.length === 0 || !entrypoint[0]) {
      throw new InvalidArgumentError('entrypoint is required, e.g. ["node", "main.js"]', {
        context: { field: 'entrypoint' },
      });
    }
    if (entrypoint.some((a) => a.includes('\0'))) {
      throw new InvalidArgumentError('entrypoint arguments must not hold NUL bytes', {
        context: { field: 'entrypoint' },
      });
    }
    const env = validateEnv(req.env ?? {});
    const numCpus = req.numCpus ?? 0;
    if (!Number.isFinite(numCpus) || numCpus < 0) {
      throw new InvalidArgumentError(`num_cpus must be a number >= 0, got ${numCpus}`, {
        context: { field: 'num_cpus' },
      });
    }
    const jobId = req.jobId
      ? validateJobId(req.jobId)
      : `job-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    if (this.jobs.has(jobId)) {
      throw new InvalidArgumentError(`a job with id ${jobId} exists already; pick another id`, {
        context: { field: 'job_id' },
      });
    }
    let packageBytes = 0;
    if (req.packageId) {
      const size = await this.packages.size(req.packageId);
      if (size === undefined) {
        throw new InvalidArgumentError(
          `the head holds no package ${req.packageId}; upload it first (UploadJobPackage)`,
          {
            context: { field: 'package_id' },
          },
        );
      }
      packageBytes = size;
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
    this.logs.start(jobId);
    await this.save(job);
    this.o.log.info({ jobId, entrypoint, numCpus, packageBytes }, 'job submitted');
    const created = this.o.actors.create(this.supervisorSpec(job), owner(jobId), () => undefined);
    created.then(
      (rec) => void this.watch(job, rec.actorId),
      (err: Error) => void this.end(job, 'FAILED', `could not start the job's supervisor: ${err.message}`),
    );
    // A request that can never be placed fails at once; give it a moment to say so.
    await Promise.race([created.catch(() => undefined), sleep(20)]);
    await Promise.resolve();
    return job;
  }

  /** The job once it has ended, or as it is after `waitMs`. */
  async wait(jobId: string, waitMs: number): Promise<JobRow> {
    const job = this.get(jobId);
    if (waitMs > 0 && !isTerminal(job.state)) {
      await this.waitChange(job.id, Math.min(waitMs, 5 * 60_000), () => isTerminal(job.state));
    }
    return job;
  }

  /** Asks the driver to stop; its supervisor is killed if it has not stopped within STOP_DEADLINE_MS. */
  async stop(jobId: string): Promise<JobRow> {
    const job = this.get(jobId);
    if (isTerminal(job.state)) return job;
    if (!job.stopRequestedAtMs) {
      job.stopRequestedAtMs = Date.now();
      await this.save(job);
      this.o.log.info({ jobId: job.id }, 'job stop requested');
    }
    // A supervisor that has not reported yet is still being placed: kill it. One that has may be
    // installing the job's dependencies; it hears of the stop in its next report and ends npm too.
    if (job.state === 'PENDING' && !this.reporting.has(job.id)) {
      await this.killSupervisor(job);
      await this.end(job, 'STOPPED', 'stopped on request before the driver started');
      return job;
    }
    setTimeout(() => {
      if (isTerminal(job.state)) return;
      const late = `the driver did not stop within ${STOP_DEADLINE_MS / 1000} s`;
      const why = `stopped on request; ${late}, so its supervisor was killed`;
      void this.killSupervisor(job).then(() => this.end(job, 'STOPPED', why));
    }, STOP_DEADLINE_MS).unref();
    return job;
  }

  /** A supervisor's report: the driver's state and the next piece of its log. */
  async report(req: ReportRequest): Promise<{ logOffset: number; stop: boolean }> {
    const job = this.get(req.jobId);
    if (req.supervisorId !== job.supervisorId) {
      throw new InvalidArgumentError(`supervisor ${req.supervisorId} is not the one running job ${job.id}`, {
        context: { field: 'supervisor_id' },
      });
    }
    this.reporting.add(job.id);
    const stop = job.stopRequestedAtMs > 0 || isTerminal(job.state);
    if (isTerminal(job.state)) return { logOffset: job.logBytes, stop };
    const mutations: Mutation[] = [];
    const appended = await this.logs.append(
      job.id,
      job.logBytes,
      Number(req.logOffset),
      Buffer.from(req.logData ?? []),
    );
    if (appended) {
      mutations.push(appended.mutation);
      job.logBytes += appended.added;
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

  /** The job's log from an offset, waiting up to `waitMs` for bytes past it while the job runs. */
  async readLogs(req: LogsRequest): Promise<{ data: Buffer; nextOffset: number; eof: boolean; state: string }> {
    const job = this.get(req.jobId);
    const offset = Math.max(0, Number(req.offset) || 0);
    const max = req.maxBytes > 0 ? Math.min(req.maxBytes, MAX_LOG_READ) : MAX_LOG_READ;
    if (offset >= job.logBytes && !isTerminal(job.state) && req.waitMs > 0) {
      await this.waitChange(job.id, Math.min(req.waitMs, 60_000), () => offset < job.logBytes || isTerminal(job.state));
    }
    const data = await this.logs.read(job.id, offset, max);
    const next = offset + data.length;
    return { data, nextOffset: next, eof: isTerminal(job.state) && next >= job.logBytes, state: job.state };
  }

  private supervisorSpec(job: JobRow): ReturnType<typeof validateSpec> {
    const { id: jobId, supervisorId, entrypoint, env, packageId, numCpus } = job;
    const args: SupervisorArgs = { jobId, supervisorId, headAddress: this.o.address(), entrypoint, env, packageId };
    return validateSpec({
      module: SUPERVISOR_MODULE,
      exportName: 'JobSupervisor',
      jobId,
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
      // No token here: this spec is stored. The worker agent hands the supervisor the token itself.
      env: {},
      execArgv: [],
      placementGroupId: '',
      bundleIndex: -1,
    });
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

  private async killSupervisor(job: JobRow): Promise<void> {
    for (const rec of this.o.actors.directory.ownedBy(owner(job.id))) {
      await this.o.actors
        .kill(rec.actorId)
        .catch((err: Error) => this.o.log.warn({ jobId: job.id, err: err.message }, 'could not kill a job supervisor'));
    }
  }

  private async end(job: JobRow, state: JobState, message: string, exitCode = job.exitCode): Promise<void> {
    if (isTerminal(job.state)) return;
    this.reporting.delete(job.id);
    job.state = state;
    job.message = message;
    job.exitCode = exitCode;
    job.endedAtMs = Date.now();
    await this.save(job);
    this.o.log.info({ jobId: job.id, state, message }, 'job ended');
    this.changes.emit(job.id);
    // The supervisor has nothing left to do; free its resources (and, after a grace, the package if no job needs it).
    setTimeout(() => void this.killSupervisor(job), 200).unref();
    if (job.packageId) {
      const id = job.packageId;
      this.packages.dropLater(id, () =>
        [...this.jobs.values()].some((j) => j.packageId === id && !isTerminal(j.state)),
      );
    }
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
