/** `troupe cluster`: cluster.yaml and the SSH launcher. */
export {
  loadClusterConfig,
  parseClusterConfig,
  type ClusterConfig,
  type NodeConfig,
  type SshTarget,
} from './config.js';
export {
  clusterUp,
  clusterDown,
  clusterStatus,
  clusterToken,
  type UpResult,
  type NodeOutcome,
  type Progress,
} from './launcher.js';
export { SshHost, shq, type ExecResult } from './ssh.js';
