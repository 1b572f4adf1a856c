// Original file: proto/troupe/v1/actor_host.proto

import type { Call as _troupe_v1_Call, Call__Output as _troupe_v1_Call__Output } from '../../troupe/v1/Call.js';

export interface CallBatch {
  'calls'?: (_troupe_v1_Call)[];
  'free'?: (string)[];
  'ownerId'?: (string);
}

export interface CallBatch__Output {
  'calls': (_troupe_v1_Call__Output)[];
  'free': (string)[];
  'ownerId': (string);
}
