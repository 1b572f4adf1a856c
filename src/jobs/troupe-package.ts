/** Where this node's own `troupe` package lives, so a job's driver imports the very same one. */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalError } from '../common/index.js';

export interface TroupePackage {
  /** The folder holding troupe's package.json (its real path). */
  root: string;
  version: string;
}

let found: TroupePackage | undefined;

/** The installed troupe package this module belongs to (found above it, from src/ or dist/src/). */
export function troupePackage(): TroupePackage {
  if (found) return found;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'troupe') {
        found = { root: realpathSync.native(dir), version: pkg.version ?? 'unknown' };
        return found;
      }
    }
    dir = path.dirname(dir);
  }
  throw new InternalError(`cannot find the troupe package above ${fileURLToPath(import.meta.url)}`);
}
