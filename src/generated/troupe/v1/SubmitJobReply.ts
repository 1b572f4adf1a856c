// Original file: proto/troupe/v1/job.proto

import type { JobInfo as _troupe_v1_JobInfo, JobInfo__Output as _troupe_v1_JobInfo__Output } from '../../troupe/v1/JobInfo.js';

export interface SubmitJobReply {
  'job'?: (_troupe_v1_JobInfo | null);
}

export interface SubmitJobReply__Output {
  'job': (_troupe_v1_JobInfo__Output | null);
}
