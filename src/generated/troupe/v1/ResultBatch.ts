// Original file: proto/troupe/v1/actor_host.proto

import type { Result as _troupe_v1_Result, Result__Output as _troupe_v1_Result__Output } from '../../troupe/v1/Result.js';

export interface ResultBatch {
  'results'?: (_troupe_v1_Result)[];
}

export interface ResultBatch__Output {
  'results': (_troupe_v1_Result__Output)[];
}
