export { WorkerAgent, type WorkerOptions } from './agent.js';
export { detectResources, validateCustomResources, type ResourceOverrides } from './detect.js';
