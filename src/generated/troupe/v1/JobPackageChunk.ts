// Original file: proto/troupe/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface JobPackageChunk {
  'packageId'?: (string);
  'totalBytes'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
}

export interface JobPackageChunk__Output {
  'packageId': (string);
  'totalBytes': (number);
  'data': (Buffer);
}
