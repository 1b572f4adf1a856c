import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { ActorInfo as _troupe_v1_ActorInfo, ActorInfo__Output as _troupe_v1_ActorInfo__Output } from './troupe/v1/ActorInfo.js';
import type { ActorSpec as _troupe_v1_ActorSpec, ActorSpec__Output as _troupe_v1_ActorSpec__Output } from './troupe/v1/ActorSpec.js';
import type { BundleInfo as _troupe_v1_BundleInfo, BundleInfo__Output as _troupe_v1_BundleInfo__Output } from './troupe/v1/BundleInfo.js';
import type { ErrorInfo as _troupe_v1_ErrorInfo, ErrorInfo__Output as _troupe_v1_ErrorInfo__Output } from './troupe/v1/ErrorInfo.js';
import type { GetJobLogsReply as _troupe_v1_GetJobLogsReply, GetJobLogsReply__Output as _troupe_v1_GetJobLogsReply__Output } from './troupe/v1/GetJobLogsReply.js';
import type { GetJobLogsRequest as _troupe_v1_GetJobLogsRequest, GetJobLogsRequest__Output as _troupe_v1_GetJobLogsRequest__Output } from './troupe/v1/GetJobLogsRequest.js';
import type { GetJobPackageRequest as _troupe_v1_GetJobPackageRequest, GetJobPackageRequest__Output as _troupe_v1_GetJobPackageRequest__Output } from './troupe/v1/GetJobPackageRequest.js';
import type { GetJobReply as _troupe_v1_GetJobReply, GetJobReply__Output as _troupe_v1_GetJobReply__Output } from './troupe/v1/GetJobReply.js';
import type { GetJobRequest as _troupe_v1_GetJobRequest, GetJobRequest__Output as _troupe_v1_GetJobRequest__Output } from './troupe/v1/GetJobRequest.js';
import type { JobInfo as _troupe_v1_JobInfo, JobInfo__Output as _troupe_v1_JobInfo__Output } from './troupe/v1/JobInfo.js';
import type { JobPackageChunk as _troupe_v1_JobPackageChunk, JobPackageChunk__Output as _troupe_v1_JobPackageChunk__Output } from './troupe/v1/JobPackageChunk.js';
import type { JobServiceClient as _troupe_v1_JobServiceClient, JobServiceDefinition as _troupe_v1_JobServiceDefinition } from './troupe/v1/JobService.js';
import type { ListJobsReply as _troupe_v1_ListJobsReply, ListJobsReply__Output as _troupe_v1_ListJobsReply__Output } from './troupe/v1/ListJobsReply.js';
import type { ListJobsRequest as _troupe_v1_ListJobsRequest, ListJobsRequest__Output as _troupe_v1_ListJobsRequest__Output } from './troupe/v1/ListJobsRequest.js';
import type { NodeAffinity as _troupe_v1_NodeAffinity, NodeAffinity__Output as _troupe_v1_NodeAffinity__Output } from './troupe/v1/NodeAffinity.js';
import type { NodeInfo as _troupe_v1_NodeInfo, NodeInfo__Output as _troupe_v1_NodeInfo__Output } from './troupe/v1/NodeInfo.js';
import type { PlacementGroupInfo as _troupe_v1_PlacementGroupInfo, PlacementGroupInfo__Output as _troupe_v1_PlacementGroupInfo__Output } from './troupe/v1/PlacementGroupInfo.js';
import type { ReportJobReply as _troupe_v1_ReportJobReply, ReportJobReply__Output as _troupe_v1_ReportJobReply__Output } from './troupe/v1/ReportJobReply.js';
import type { ReportJobRequest as _troupe_v1_ReportJobRequest, ReportJobRequest__Output as _troupe_v1_ReportJobRequest__Output } from './troupe/v1/ReportJobRequest.js';
import type { ResourceMap as _troupe_v1_ResourceMap, ResourceMap__Output as _troupe_v1_ResourceMap__Output } from './troupe/v1/ResourceMap.js';
import type { StopJobReply as _troupe_v1_StopJobReply, StopJobReply__Output as _troupe_v1_StopJobReply__Output } from './troupe/v1/StopJobReply.js';
import type { StopJobRequest as _troupe_v1_StopJobRequest, StopJobRequest__Output as _troupe_v1_StopJobRequest__Output } from './troupe/v1/StopJobRequest.js';
import type { SubmitJobReply as _troupe_v1_SubmitJobReply, SubmitJobReply__Output as _troupe_v1_SubmitJobReply__Output } from './troupe/v1/SubmitJobReply.js';
import type { SubmitJobRequest as _troupe_v1_SubmitJobRequest, SubmitJobRequest__Output as _troupe_v1_SubmitJobRequest__Output } from './troupe/v1/SubmitJobRequest.js';
import type { UploadJobPackageReply as _troupe_v1_UploadJobPackageReply, UploadJobPackageReply__Output as _troupe_v1_UploadJobPackageReply__Output } from './troupe/v1/UploadJobPackageReply.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  troupe: {
    v1: {
      ActorInfo: MessageTypeDefinition<_troupe_v1_ActorInfo, _troupe_v1_ActorInfo__Output>
      ActorSpec: MessageTypeDefinition<_troupe_v1_ActorSpec, _troupe_v1_ActorSpec__Output>
      BundleInfo: MessageTypeDefinition<_troupe_v1_BundleInfo, _troupe_v1_BundleInfo__Output>
      ErrorInfo: MessageTypeDefinition<_troupe_v1_ErrorInfo, _troupe_v1_ErrorInfo__Output>
      GetJobLogsReply: MessageTypeDefinition<_troupe_v1_GetJobLogsReply, _troupe_v1_GetJobLogsReply__Output>
      GetJobLogsRequest: MessageTypeDefinition<_troupe_v1_GetJobLogsRequest, _troupe_v1_GetJobLogsRequest__Output>
      GetJobPackageRequest: MessageTypeDefinition<_troupe_v1_GetJobPackageRequest, _troupe_v1_GetJobPackageRequest__Output>
      GetJobReply: MessageTypeDefinition<_troupe_v1_GetJobReply, _troupe_v1_GetJobReply__Output>
      GetJobRequest: MessageTypeDefinition<_troupe_v1_GetJobRequest, _troupe_v1_GetJobRequest__Output>
      JobInfo: MessageTypeDefinition<_troupe_v1_JobInfo, _troupe_v1_JobInfo__Output>
      JobPackageChunk: MessageTypeDefinition<_troupe_v1_JobPackageChunk, _troupe_v1_JobPackageChunk__Output>
      JobService: SubtypeConstructor<typeof grpc.Client, _troupe_v1_JobServiceClient> & { service: _troupe_v1_JobServiceDefinition }
      ListJobsReply: MessageTypeDefinition<_troupe_v1_ListJobsReply, _troupe_v1_ListJobsReply__Output>
      ListJobsRequest: MessageTypeDefinition<_troupe_v1_ListJobsRequest, _troupe_v1_ListJobsRequest__Output>
      NodeAffinity: MessageTypeDefinition<_troupe_v1_NodeAffinity, _troupe_v1_NodeAffinity__Output>
      NodeInfo: MessageTypeDefinition<_troupe_v1_NodeInfo, _troupe_v1_NodeInfo__Output>
      PlacementGroupInfo: MessageTypeDefinition<_troupe_v1_PlacementGroupInfo, _troupe_v1_PlacementGroupInfo__Output>
      ReportJobReply: MessageTypeDefinition<_troupe_v1_ReportJobReply, _troupe_v1_ReportJobReply__Output>
      ReportJobRequest: MessageTypeDefinition<_troupe_v1_ReportJobRequest, _troupe_v1_ReportJobRequest__Output>
      ResourceMap: MessageTypeDefinition<_troupe_v1_ResourceMap, _troupe_v1_ResourceMap__Output>
      StopJobReply: MessageTypeDefinition<_troupe_v1_StopJobReply, _troupe_v1_StopJobReply__Output>
      StopJobRequest: MessageTypeDefinition<_troupe_v1_StopJobRequest, _troupe_v1_StopJobRequest__Output>
      SubmitJobReply: MessageTypeDefinition<_troupe_v1_SubmitJobReply, _troupe_v1_SubmitJobReply__Output>
      SubmitJobRequest: MessageTypeDefinition<_troupe_v1_SubmitJobRequest, _troupe_v1_SubmitJobRequest__Output>
      UploadJobPackageReply: MessageTypeDefinition<_troupe_v1_UploadJobPackageReply, _troupe_v1_UploadJobPackageReply__Output>
    }
  }
}

