/** What the head hands a job's supervisor actor (kept apart so the head need not load the supervisor). */
export interface SupervisorArgs {
  jobId: string;
  /** Distinguishes this supervisor from an earlier one of the same job; the head refuses stale ones. */
  supervisorId: string;
  headAddress: string;
  entrypoint: string[];
  env: Record<string, string>;
  packageId: string;
}
