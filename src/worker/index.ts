export { WorkerAgent, type WorkerOptions } from './agent.js';
export { detectResources, type ResourceOverrides } from './detect.js';
