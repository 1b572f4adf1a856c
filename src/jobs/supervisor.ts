/**
 * The actor that runs one job's driver (as Ray's JobSupervisor does). The head spawns it with the
 * job's resources on any node; it fetches and safely unpacks the working directory, sets up its
 * runtime environment (this node's troupe, the lock file's dependencies: runtime-env.ts), starts the
 * driver as a child process with TROUPE_ADDRESS and TROUPE_TOKEN set, sends the driver's output
 * and state to the head (retrying while the head is away), and stops the driver when asked.
 *
 * It is loaded by the actor host as `troupe/internal/job-supervisor`, so every node resolves it
 * from its own installation.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, TroupeError } from '../common/index.js';
import type { JobPackageChunk__Output } from '../generated/troupe/v1/JobPackageChunk.js';
import type { JobServiceClient } from '../generated/troupe/v1/JobService.js';
import { troupeRoot } from '../common/index.js';
import { troupeV1 } from '../transport/index.js';
import { callUnary, makeClient } from '../transport/index.js';
import { prepareRuntimeEnv } from './runtime-env.js';
import { unpackPackage } from './unpack.js';
import type { SupervisorArgs } from './supervisor-args.js';

/** Variables of the actor host that are not the driver's business. */
const HOST_ONLY_ENV = ['TROUPE_LOG_FILE', 'TROUPE_BIND_HOST', 'TROUPE_MAX_MESSAGE_BYTES', 'TROUPE_SESSION_DIR'];

const SUPERVISOR_ACTOR = 'troupe/internal/job-supervisor#JobSupervisor';
const FLUSH_MS = 100;
const HEARTBEAT_MS = 500;
const MAX_REPORT_BYTES = 1024 * 1024;
const MAX_PENDING_BYTES = 16 * 1024 * 1024;
const STOP_GRACE_MS = 5_000;

export class JobSupervisor {
  private readonly head: JobServiceClient;
  private readonly token: string;
  private driver: ChildProcess | undefined;
  private pending: Buffer = Buffer.alloc(0);
  private acked = 0;
  private dropped = 0;
  private state = '';
  private stateSent = '';
  private message = '';
  private exitCode = -1;
  private stopRequested = false;
  private lastReport = 0;
  private readonly dir: string;
  /** Aborts the dependency install when the job is stopped or the host exits. */
  private readonly setup = new AbortController();
  readonly done: Promise<void>;

  /**
   * @param runtime what the actor host adds after the arguments: the cluster token, from the worker
   * agent over its IPC channel (never in the spec the head stores, nor in any environment).
   */
  constructor(
    private readonly args: SupervisorArgs,
    runtime?: { clusterToken?: string },
  ) {
    this.token = runtime?.clusterToken ?? '';
    if (!this.token)
      throw new InvalidArgumentError(
        'the job supervisor needs the cluster token from its actor host (runtime.clusterToken); ' +
          `it runs only as ${SUPERVISOR_ACTOR}, started by the head for a job`,
        { context: { field: 'runtime.clusterToken' } },
      );
    this.head = makeClient(troupeV1.JobService, args.headAddress, this.token);
    this.dir = path.join(troupeRoot(), 'jobs', `${args.jobId}-${args.supervisorId}`);
    process.once('exit', () => {
      this.setup.abort();
      this.killDriver('SIGKILL');
    });
    this.done = this.run();
  }

  /** What the supervisor is doing, for tests and debugging. */
  status(): { state: string; driverPid: number; dir: string } {
    return { state: this.state, driverPid: this.driver?.pid ?? 0, dir: this.dir };
  }

  private async run(): Promise<void> {
    const flusher = setInterval(() => void this.flush(), FLUSH_MS);
    try {
      const cwd = await this.prepare();
      await this.startDriver(cwd);
    } catch (err) {
      this.finish(
        'FAILED',
        err instanceof TroupeError ? err.message : `the supervisor failed: ${(err as Error).message}`,
      );
    }
    while (this.stateSent === '' || !isTerminal(this.stateSent)) {
      await this.flush();
      await sleep(FLUSH_MS);
    }
    clearInterval(flusher);
    this.head.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Fetches and unpacks the working directory and sets up its node_modules; returns the driver's cwd. */
  private async prepare(): Promise<string> {
    rmSync(this.dir, { recursive: true, force: true });
    if (!this.args.packageId) {
      mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    } else {
      const bytes = await this.download();
      await unpackPackage(bytes, this.dir);
    }
    await prepareRuntimeEnv({
      dir: this.dir,
      cacheRoot: path.join(troupeRoot(), 'jobs-env'),
      env: this.driverEnv(),
      output: (d) => this.output(d),
      signal: this.setup.signal,
    });
    return this.dir;
  }

  /** The supervisor's environment less what is the host's own, then the job's, then Troupe's. */
  private driverEnv(): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !HOST_ONLY_ENV.includes(k)) env[k] = v;
    Object.assign(env, this.args.env, {
      TROUPE_ADDRESS: this.args.headAddress,
      TROUPE_TOKEN: this.token,
      TROUPE_JOB_ID: this.args.jobId,
    });
    // Relative NODE_PATH entries (--node-path) name folders of the job: make them absolute, for its children too.
    if (env.NODE_PATH) {
      env.NODE_PATH = env.NODE_PATH.split(path.delimiter)
        .map((p) => path.resolve(this.dir, p))
        .join(path.delimiter);
    }
    return env;
  }

  private download(): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const call = this.head.GetJobPackage({
        packageId: this.args.packageId,
        jobId: this.args.jobId,
      });
      call.on('data', (c: JobPackageChunk__Output) => chunks.push(c.data));
      call.on('error', (err: Error) =>
        reject(new InvalidArgumentError(`could not fetch the job's working directory from the head: ${err.message}`)),
      );
      call.on('end', () => {
        const bytes = Buffer.concat(chunks);
        const got = createHash('sha256').update(bytes).digest('hex');
        if (got !== this.args.packageId)
          reject(
            new InvalidArgumentError(
              `the job's working directory arrived damaged (sha256 ${got}, expected ${this.args.packageId})`,
            ),
          );
        else resolve(bytes);
      });
    });
  }

  private async startDriver(cwd: string): Promise<void> {
    if (this.stopRequested) return;
    const [cmd, ...argv] = this.args.entrypoint;
    if (!cmd) throw new InvalidArgumentError('the job has no entrypoint', { context: { field: 'entrypoint' } });
    const env = this.driverEnv();
    // "node" means the Node that runs Troupe here, whatever the PATH of a daemon holds.
    const file = cmd === 'node' ? process.execPath : cmd;
    const child = spawn(file, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.driver = child;
    const onData = (d: Buffer): void => this.output(d);
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    await new Promise<void>((resolve) => {
      child.once('spawn', () => {
        this.state = 'RUNNING';
        this.message = `driver running as pid ${child.pid}`;
        void this.flush();
        resolve();
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        this.finish(
          'FAILED',
          err.code === 'ENOENT'
            ? `cannot run ${cmd}: not found (in ${cwd} or on the PATH)`
            : `cannot run ${cmd}: ${err.message}`,
        );
        resolve();
      });
    });
    child.once('close', (code, signal) => {
      if (this.stopRequested)
        this.finish(
          'STOPPED',
          `stopped on request (driver ${signal ? `killed by ${signal}` : `exited with code ${code}`})`,
          code ?? -1,
        );
      else if (code === 0) this.finish('SUCCEEDED', 'driver exited with code 0', 0);
      else
        this.finish(
          'FAILED',
          signal ? `driver killed by signal ${signal}` : `driver exited with code ${code}`,
          code ?? -1,
        );
    });
  }

  private finish(state: string, message: string, exitCode = -1): void {
    if (isTerminal(this.state)) return;
    // The folder goes before the end is told: whoever sees the job end sees nothing of it left.
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch {
      // removed again once the head has the end (run())
    }
    this.state = state;
    this.message = message;
    this.exitCode = exitCode;
  }

  private output(d: Buffer): void {
    if (this.pending.length + d.length > MAX_PENDING_BYTES) {
      this.dropped += d.length;
      return;
    }
    if (this.dropped > 0) {
      d = Buffer.concat([
        Buffer.from(`[troupe: ${this.dropped} bytes of output dropped while the head was unreachable]\n`),
        d,
      ]);
      this.dropped = 0;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, d]) : d;
  }

  private flushing = false;

  /** Sends pending output and any state change (or a heartbeat); applies the head's answer. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    const due =
      this.pending.length > 0 || this.state !== this.stateSent || Date.now() - this.lastReport >= HEARTBEAT_MS;
    if (!due) return;
    this.flushing = true;
    try {
      const data = this.pending.subarray(0, MAX_REPORT_BYTES);
      // A final state goes out only with the last of the output.
      const sendState = isTerminal(this.state) && data.length < this.pending.length ? 'RUNNING' : this.state;
      const reply = await callUnary(
        this.head,
        'ReportJob',
        {
          jobId: this.args.jobId,
          supervisorId: this.args.supervisorId,
          state: sendState,
          message: this.message,
          exitCode: this.exitCode,
          driverPid: this.driver?.pid ?? 0,
          logOffset: this.acked,
          logData: data,
        },
        'head',
        this.args.headAddress,
        10_000,
      );
      this.lastReport = Date.now();
      const advance = Number(reply.logOffset) - this.acked;
      if (advance > 0) this.pending = this.pending.subarray(Math.min(advance, this.pending.length));
      this.acked = Number(reply.logOffset);
      this.stateSent = sendState;
      if (reply.stop && !this.stopRequested) this.stop();
    } catch (err) {
      // The head is away (restarting, unreachable): keep the output and try again.
      if (err instanceof TroupeError && err.code === 'JOB_NOT_FOUND') {
        this.stopRequested = true;
        this.stop();
        this.stateSent = 'FAILED';
      }
    } finally {
      this.flushing = false;
    }
  }

  private stop(): void {
    this.stopRequested = true;
    this.setup.abort();
    if (!this.driver || this.driver.exitCode !== null || this.driver.signalCode !== null) {
      this.finish('STOPPED', 'stopped on request before the driver started');
      return;
    }
    this.killDriver('SIGTERM');
    setTimeout(() => this.killDriver('SIGKILL'), STOP_GRACE_MS).unref();
  }

  /** Signals the driver's whole process group (it may have started children of its own). */
  private killDriver(signal: NodeJS.Signals): void {
    const pid = this.driver?.pid;
    if (!pid || this.driver!.exitCode !== null || this.driver!.signalCode !== null) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}

function isTerminal(state: string): boolean {
  return state === 'SUCCEEDED' || state === 'FAILED' || state === 'STOPPED';
}
