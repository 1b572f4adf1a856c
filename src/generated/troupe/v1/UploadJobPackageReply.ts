// Original file: proto/troupe/v1/job.proto

import type { Long } from '@grpc/proto-loader';

export interface UploadJobPackageReply {
  'packageId'?: (string);
  'totalBytes'?: (number | string | Long);
}

export interface UploadJobPackageReply__Output {
  'packageId': (string);
  'totalBytes': (number);
}
