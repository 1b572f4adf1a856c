/** Jobs: packing and unpacking working directories, the job supervisor actor, and `JobClient`. */
export { JobClient, type JobClientOptions, type SubmitJobOptions, type TailOptions } from './job-client.js';
export { packWorkingDir, listWorkingDir, type Package, type PackOptions } from './pack.js';
export { unpackPackage, archivePathProblem, DEFAULT_MAX_RATIO, type UnpackOptions } from './unpack.js';
export { IgnoreRules, IGNORE_FILE, ALWAYS_IGNORED } from './ignore.js';
export type { SupervisorArgs } from './supervisor-args.js';
export {
  DEFAULT_MAX_PACKAGE_BYTES,
  DEFAULT_MAX_UNPACKED_BYTES,
  MAX_PACKAGE_ENTRIES,
  PACKAGE_CHUNK_BYTES,
  TERMINAL_JOB_STATES,
  validateJobId,
  validateEnv,
  parseEnvPairs,
  nodePathValue,
  formatBytes,
  type JobInfo,
  type JobState,
} from './types.js';

/** How actor hosts load the supervisor: through the package's own exports, so each node uses its own install. */
export const SUPERVISOR_MODULE = 'troupe/internal/job-supervisor';
