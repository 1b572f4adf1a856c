/**
 * The raw baseline for actor creation: start a Node child process (process.execPath) and wait for
 * its first line on stdout, i.e. what creating a process-isolated actor costs without a warm pool.
 */
import { startChild } from '../lib/children.js';

const readyModule = new URL('./ready.js', import.meta.url);

/** Milliseconds from spawn to the child's first stdout line, once. */
export async function coldStartMs(): Promise<number> {
  const t0 = performance.now();
  const child = startChild(readyModule);
  try {
    await child.nextLine(15_000);
    return performance.now() - t0;
  } finally {
    await child.stop();
  }
}

/** `n` sequential cold starts; the latencies in ms. */
export async function coldStartSamples(n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await coldStartMs());
  return samples;
}

/** `n` cold starts at once; processes started per second until the last one answered. */
export async function coldStartRate(n: number): Promise<number> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, coldStartMs));
  return n / ((performance.now() - t0) / 1000);
}
