// Original file: proto/troupe/v1/job.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetJobLogsReply as _troupe_v1_GetJobLogsReply, GetJobLogsReply__Output as _troupe_v1_GetJobLogsReply__Output } from '../../troupe/v1/GetJobLogsReply.js';
import type { GetJobLogsRequest as _troupe_v1_GetJobLogsRequest, GetJobLogsRequest__Output as _troupe_v1_GetJobLogsRequest__Output } from '../../troupe/v1/GetJobLogsRequest.js';
import type { GetJobPackageRequest as _troupe_v1_GetJobPackageRequest, GetJobPackageRequest__Output as _troupe_v1_GetJobPackageRequest__Output } from '../../troupe/v1/GetJobPackageRequest.js';
import type { GetJobReply as _troupe_v1_GetJobReply, GetJobReply__Output as _troupe_v1_GetJobReply__Output } from '../../troupe/v1/GetJobReply.js';
import type { GetJobRequest as _troupe_v1_GetJobRequest, GetJobRequest__Output as _troupe_v1_GetJobRequest__Output } from '../../troupe/v1/GetJobRequest.js';
import type { JobPackageChunk as _troupe_v1_JobPackageChunk, JobPackageChunk__Output as _troupe_v1_JobPackageChunk__Output } from '../../troupe/v1/JobPackageChunk.js';
import type { ListJobsReply as _troupe_v1_ListJobsReply, ListJobsReply__Output as _troupe_v1_ListJobsReply__Output } from '../../troupe/v1/ListJobsReply.js';
import type { ListJobsRequest as _troupe_v1_ListJobsRequest, ListJobsRequest__Output as _troupe_v1_ListJobsRequest__Output } from '../../troupe/v1/ListJobsRequest.js';
import type { ReportJobReply as _troupe_v1_ReportJobReply, ReportJobReply__Output as _troupe_v1_ReportJobReply__Output } from '../../troupe/v1/ReportJobReply.js';
import type { ReportJobRequest as _troupe_v1_ReportJobRequest, ReportJobRequest__Output as _troupe_v1_ReportJobRequest__Output } from '../../troupe/v1/ReportJobRequest.js';
import type { StopJobReply as _troupe_v1_StopJobReply, StopJobReply__Output as _troupe_v1_StopJobReply__Output } from '../../troupe/v1/StopJobReply.js';
import type { StopJobRequest as _troupe_v1_StopJobRequest, StopJobRequest__Output as _troupe_v1_StopJobRequest__Output } from '../../troupe/v1/StopJobRequest.js';
import type { SubmitJobReply as _troupe_v1_SubmitJobReply, SubmitJobReply__Output as _troupe_v1_SubmitJobReply__Output } from '../../troupe/v1/SubmitJobReply.js';
import type { SubmitJobRequest as _troupe_v1_SubmitJobRequest, SubmitJobRequest__Output as _troupe_v1_SubmitJobRequest__Output } from '../../troupe/v1/SubmitJobRequest.js';
import type { UploadJobPackageReply as _troupe_v1_UploadJobPackageReply, UploadJobPackageReply__Output as _troupe_v1_UploadJobPackageReply__Output } from '../../troupe/v1/UploadJobPackageReply.js';

export interface JobServiceClient extends grpc.Client {
  GetJob(argument: _troupe_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _troupe_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _troupe_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  GetJob(argument: _troupe_v1_GetJobRequest, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  getJob(argument: _troupe_v1_GetJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  getJob(argument: _troupe_v1_GetJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  getJob(argument: _troupe_v1_GetJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  getJob(argument: _troupe_v1_GetJobRequest, callback: grpc.requestCallback<_troupe_v1_GetJobReply__Output>): grpc.ClientUnaryCall;
  
  GetJobLogs(argument: _troupe_v1_GetJobLogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  GetJobLogs(argument: _troupe_v1_GetJobLogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  GetJobLogs(argument: _troupe_v1_GetJobLogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  GetJobLogs(argument: _troupe_v1_GetJobLogsRequest, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  getJobLogs(argument: _troupe_v1_GetJobLogsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  getJobLogs(argument: _troupe_v1_GetJobLogsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  getJobLogs(argument: _troupe_v1_GetJobLogsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  getJobLogs(argument: _troupe_v1_GetJobLogsRequest, callback: grpc.requestCallback<_troupe_v1_GetJobLogsReply__Output>): grpc.ClientUnaryCall;
  
  GetJobPackage(argument: _troupe_v1_GetJobPackageRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_troupe_v1_JobPackageChunk__Output>;
  GetJobPackage(argument: _troupe_v1_GetJobPackageRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_troupe_v1_JobPackageChunk__Output>;
  getJobPackage(argument: _troupe_v1_GetJobPackageRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_troupe_v1_JobPackageChunk__Output>;
  getJobPackage(argument: _troupe_v1_GetJobPackageRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_troupe_v1_JobPackageChunk__Output>;
  
  ListJobs(argument: _troupe_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _troupe_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _troupe_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  ListJobs(argument: _troupe_v1_ListJobsRequest, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _troupe_v1_ListJobsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _troupe_v1_ListJobsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _troupe_v1_ListJobsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  listJobs(argument: _troupe_v1_ListJobsRequest, callback: grpc.requestCallback<_troupe_v1_ListJobsReply__Output>): grpc.ClientUnaryCall;
  
  ReportJob(argument: _troupe_v1_ReportJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  ReportJob(argument: _troupe_v1_ReportJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  ReportJob(argument: _troupe_v1_ReportJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  ReportJob(argument: _troupe_v1_ReportJobRequest, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  reportJob(argument: _troupe_v1_ReportJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  reportJob(argument: _troupe_v1_ReportJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  reportJob(argument: _troupe_v1_ReportJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  reportJob(argument: _troupe_v1_ReportJobRequest, callback: grpc.requestCallback<_troupe_v1_ReportJobReply__Output>): grpc.ClientUnaryCall;
  
  StopJob(argument: _troupe_v1_StopJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  StopJob(argument: _troupe_v1_StopJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  StopJob(argument: _troupe_v1_StopJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  StopJob(argument: _troupe_v1_StopJobRequest, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _troupe_v1_StopJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _troupe_v1_StopJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _troupe_v1_StopJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  stopJob(argument: _troupe_v1_StopJobRequest, callback: grpc.requestCallback<_troupe_v1_StopJobReply__Output>): grpc.ClientUnaryCall;
  
  SubmitJob(argument: _troupe_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _troupe_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _troupe_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  SubmitJob(argument: _troupe_v1_SubmitJobRequest, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _troupe_v1_SubmitJobRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _troupe_v1_SubmitJobRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _troupe_v1_SubmitJobRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  submitJob(argument: _troupe_v1_SubmitJobRequest, callback: grpc.requestCallback<_troupe_v1_SubmitJobReply__Output>): grpc.ClientUnaryCall;
  
  UploadJobPackage(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  UploadJobPackage(metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  UploadJobPackage(options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  UploadJobPackage(callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  uploadJobPackage(metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  uploadJobPackage(metadata: grpc.Metadata, callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  uploadJobPackage(options: grpc.CallOptions, callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  uploadJobPackage(callback: grpc.requestCallback<_troupe_v1_UploadJobPackageReply__Output>): grpc.ClientWritableStream<_troupe_v1_JobPackageChunk>;
  
}

export interface JobServiceHandlers extends grpc.UntypedServiceImplementation {
  GetJob: grpc.handleUnaryCall<_troupe_v1_GetJobRequest__Output, _troupe_v1_GetJobReply>;
  
  GetJobLogs: grpc.handleUnaryCall<_troupe_v1_GetJobLogsRequest__Output, _troupe_v1_GetJobLogsReply>;
  
  GetJobPackage: grpc.handleServerStreamingCall<_troupe_v1_GetJobPackageRequest__Output, _troupe_v1_JobPackageChunk>;
  
  ListJobs: grpc.handleUnaryCall<_troupe_v1_ListJobsRequest__Output, _troupe_v1_ListJobsReply>;
  
  ReportJob: grpc.handleUnaryCall<_troupe_v1_ReportJobRequest__Output, _troupe_v1_ReportJobReply>;
  
  StopJob: grpc.handleUnaryCall<_troupe_v1_StopJobRequest__Output, _troupe_v1_StopJobReply>;
  
  SubmitJob: grpc.handleUnaryCall<_troupe_v1_SubmitJobRequest__Output, _troupe_v1_SubmitJobReply>;
  
  UploadJobPackage: grpc.handleClientStreamingCall<_troupe_v1_JobPackageChunk__Output, _troupe_v1_UploadJobPackageReply>;
  
}

export interface JobServiceDefinition extends grpc.ServiceDefinition {
  GetJob: MethodDefinition<_troupe_v1_GetJobRequest, _troupe_v1_GetJobReply, _troupe_v1_GetJobRequest__Output, _troupe_v1_GetJobReply__Output>
  GetJobLogs: MethodDefinition<_troupe_v1_GetJobLogsRequest, _troupe_v1_GetJobLogsReply, _troupe_v1_GetJobLogsRequest__Output, _troupe_v1_GetJobLogsReply__Output>
  GetJobPackage: MethodDefinition<_troupe_v1_GetJobPackageRequest, _troupe_v1_JobPackageChunk, _troupe_v1_GetJobPackageRequest__Output, _troupe_v1_JobPackageChunk__Output>
  ListJobs: MethodDefinition<_troupe_v1_ListJobsRequest, _troupe_v1_ListJobsReply, _troupe_v1_ListJobsRequest__Output, _troupe_v1_ListJobsReply__Output>
  ReportJob: MethodDefinition<_troupe_v1_ReportJobRequest, _troupe_v1_ReportJobReply, _troupe_v1_ReportJobRequest__Output, _troupe_v1_ReportJobReply__Output>
  StopJob: MethodDefinition<_troupe_v1_StopJobRequest, _troupe_v1_StopJobReply, _troupe_v1_StopJobRequest__Output, _troupe_v1_StopJobReply__Output>
  SubmitJob: MethodDefinition<_troupe_v1_SubmitJobRequest, _troupe_v1_SubmitJobReply, _troupe_v1_SubmitJobRequest__Output, _troupe_v1_SubmitJobReply__Output>
  UploadJobPackage: MethodDefinition<_troupe_v1_JobPackageChunk, _troupe_v1_UploadJobPackageReply, _troupe_v1_JobPackageChunk__Output, _troupe_v1_UploadJobPackageReply__Output>
}
