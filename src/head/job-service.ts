/** The job RPCs: gRPC handlers over the head's JobManager, its package store and its logs. */
import type * as grpc from '@grpc/grpc-js';
import type { JobServiceHandlers } from '../generated/troupe/v1/JobService.js';
import type { Logger } from '../common/index.js';
import { toServiceError, unary } from '../transport/index.js';
import type { JobManager, JobRow, LogsRequest, ReportRequest, SubmitRequest } from './job-manager.js';
import type { PackageChunk } from './job-packages.js';

/** gRPC handlers of the job RPCs, logged as `JobService.<Method>`. */
export function jobService(jobs: JobManager, log: Logger): JobServiceHandlers {
  return {
    UploadJobPackage: (call: grpc.ServerReadableStream<PackageChunk, object>, cb: grpc.sendUnaryData<object>) =>
      upload(jobs, call, cb),
    GetJobPackage: (call: grpc.ServerWritableStream<{ packageId: string; jobId: string }, object>) =>
      download(jobs, call),
    SubmitJob: unary(log, 'JobService.SubmitJob', async (req: SubmitRequest) => ({
      job: info(await jobs.submit(req)),
    })),
    GetJob: unary(log, 'JobService.GetJob', async (req: { jobId: string; waitMs: number }) => ({
      job: info(await jobs.wait(req.jobId, req.waitMs)),
    })),
    ListJobs: unary(log, 'JobService.ListJobs', () => ({ jobs: jobs.list().map(info) })),
    StopJob: unary(log, 'JobService.StopJob', async (req: { jobId: string }) => ({
      job: info(await jobs.stop(req.jobId)),
    })),
    GetJobLogs: unary(log, 'JobService.GetJobLogs', (req: LogsRequest) => jobs.readLogs(req)),
    ReportJob: unary(log, 'JobService.ReportJob', (req: ReportRequest) => jobs.report(req)),
  };
}

function upload(
  jobs: JobManager,
  call: grpc.ServerReadableStream<PackageChunk, object>,
  cb: grpc.sendUnaryData<object>,
): void {
  const receiver = jobs.packages.upload();
  let failed = false;
  const fail = (err: unknown): void => {
    if (failed) return;
    failed = true;
    cb(toServiceError(err));
  };
  call.on('data', (c: PackageChunk) => {
    if (failed) return;
    try {
      receiver.add(c);
    } catch (err) {
      fail(err);
    }
  });
  call.on('error', () => (failed = true));
  call.on('end', () => {
    if (failed) return;
    let pkg: { packageId: string; bytes: Buffer };
    try {
      pkg = receiver.finish();
    } catch (err) {
      return fail(err);
    }
    jobs.packages.put(pkg.packageId, pkg.bytes).then(
      () => cb(null, { packageId: pkg.packageId, totalBytes: pkg.bytes.length }),
      (err: unknown) => fail(err),
    );
  });
}

async function download(
  jobs: JobManager,
  call: grpc.ServerWritableStream<{ packageId: string; jobId: string }, object>,
): Promise<void> {
  try {
    const { packageId, jobId } = call.request;
    const job = jobs.packageFor(jobId, packageId);
    for await (const data of jobs.packages.read(packageId)) {
      const ok = call.write({ packageId, totalBytes: job.packageBytes, data });
      if (!ok) await new Promise((r) => call.once('drain', r));
    }
    call.end();
  } catch (err) {
    call.emit('error', toServiceError(err));
  }
}

/** A job as the wire carries it (troupe.v1.JobInfo). */
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
