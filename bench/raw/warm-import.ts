/**
 * The raw baseline for warm-pool actor creation: what a warm pool gives without Troupe's control
 * plane. An idle Node child is started ahead; each sample hands it a module (a fresh URL of the
 * actor's module, so it is loaded as a warm host loads an actor's module for the first time) over a
 * pipe, and ends when the child answers that it constructed the export.
 */
import { startChild } from '../lib/children.js';

const childModule = new URL('./import-child.js', import.meta.url);

/** `n` sequential creations in one idle child; the latencies in ms. */
export async function warmImportSamples(n: number, module: URL, exportName: string): Promise<number[]> {
  const child = startChild(childModule);
  try {
    if ((await child.nextLine(15_000)) !== 'ready') throw new Error('import-child did not print ready');
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const fresh = new URL(module);
      fresh.searchParams.set('sample', String(i));
      const t0 = performance.now();
      child.proc.stdin!.write(`${fresh.href} ${exportName}\n`);
      const line = await child.nextLine(15_000);
      if (line !== 'made') throw new Error(`import-child printed ${JSON.stringify(line)}`);
      samples.push(performance.now() - t0);
    }
    return samples;
  } finally {
    await child.stop();
  }
}
