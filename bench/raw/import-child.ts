/**
 * The child of the raw warm-creation baseline (bench/raw/warm-import.ts): an already-started Node
 * process that, for each line `URL EXPORT` on stdin, imports that module (each URL new, so it is
 * read, compiled and run as a warm actor host does with an actor's module), constructs the export
 * and prints `made`. Prints `ready` first; exits when its stdin closes.
 */
import { createInterface } from 'node:readline';

process.stdout.write('ready\n');
createInterface({ input: process.stdin }).on('line', (line) => {
  const [url, name] = line.split(' ') as [string, string];
  import(url).then(
    (mod: Record<string, new () => unknown>) => {
      new mod[name]!();
      process.stdout.write('made\n');
    },
    (err: unknown) => {
      process.stderr.write(`import-child: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
});
process.stdin.on('end', () => process.exit(0));
