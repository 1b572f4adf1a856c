export { HeadServer, type HeadOptions } from './head-server.js';
export {
  validateResourceRequest,
  formatResources,
  formatAmount,
  compareResourceNames,
  type ResourceMap,
} from './resources.js';
