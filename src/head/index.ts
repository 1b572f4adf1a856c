export { HeadServer, type HeadOptions } from './head-server.js';
export { validateResourceRequest, formatResources, type ResourceMap } from './resources.js';
