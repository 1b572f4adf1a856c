import os from 'node:os';
import { execFile } from 'node:child_process';
import { InvalidArgumentError } from '../common/index.js';

export interface DetectedResources {
  resources: Record<string, number>;
  numGpuDevices: number;
  gpuNames: string[];
}

/** GPUs as `nvidia-smi` lists them; none when it is missing or fails. */
export function detectGpus(timeoutMs = 5000): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=index,name', '--format=csv,noheader'],
      { timeout: timeoutMs },
      (err, stdout) => {
        if (err) {
          resolve([]);
          return;
        }
        resolve(
          stdout
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .map((l) => l.split(',').slice(1).join(',').trim()),
        );
      },
    );
  });
}

export interface ResourceOverrides {
  numCpus?: number;
  numGpus?: number;
  memory?: number;
  /** Custom resources, e.g. `{ "tpu_slice": 1 }`. May not redefine CPU, GPU or memory. */
  resources?: Record<string, number>;
}

/** Detects CPUs, memory and GPUs, then applies the user's overrides. */
export async function detectResources(overrides: ResourceOverrides = {}): Promise<DetectedResources> {
  const gpus = overrides.numGpus === undefined || overrides.numGpus > 0 ? await detectGpus() : [];
  const numGpuDevices = overrides.numGpus !== undefined ? Math.floor(overrides.numGpus) : gpus.length;
  const resources: Record<string, number> = {
    CPU: overrides.numCpus ?? os.availableParallelism(),
    memory: overrides.memory ?? os.totalmem(),
  };
  if (numGpuDevices > 0) resources.GPU = numGpuDevices;
  Object.assign(resources, validateCustomResources(overrides.resources));
  return { resources, numGpuDevices, gpuNames: gpus };
}

/** Custom resources from flags: finite numbers >= 0, and none of the reserved names. */
export function validateCustomResources(custom: Record<string, number> = {}): Record<string, number> {
  for (const [name, amount] of Object.entries(custom)) {
    if (name === 'CPU' || name === 'GPU' || name === 'memory') {
      throw new InvalidArgumentError(`custom resource '${name}' is reserved; use --num-cpus, --num-gpus or --memory`, {
        context: { field: `resources.${name}` },
      });
    }
    if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0) {
      throw new InvalidArgumentError(
        `custom resource '${name}' must be a finite number >= 0, got ${JSON.stringify(amount)}`,
        { context: { field: `resources.${name}` } },
      );
    }
  }
  return { ...custom };
}
