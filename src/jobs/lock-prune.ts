/**
 * Takes `troupe` out of a job's package.json and lock file before `npm ci`: the driver always uses
 * the node's own troupe (linked into its node_modules), so npm must neither fetch one from the
 * registry (where the name may belong to another package) nor follow a `file:` link that exists only
 * on the user's machine. What only troupe needed goes too; everything else stays as locked.
 */
import path from 'node:path';

const TROUPE = 'troupe';
const DEP_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies'] as const;

interface LockEntry {
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

export interface Manifest {
  [key: string]: unknown;
}

export interface LockFile {
  lockfileVersion?: number;
  packages?: Record<string, LockEntry>;
  [key: string]: unknown;
}

function dropDep(o: Partial<Record<(typeof DEP_FIELDS)[number], Record<string, string>>>): boolean {
  let dropped = false;
  for (const f of DEP_FIELDS) {
    if (o[f] && TROUPE in o[f]!) {
      delete o[f]![TROUPE];
      dropped = true;
    }
  }
  return dropped;
}

/** The lock entry a package at `from` gets for `name`, as Node's lookup walks up node_modules folders. */
function resolveIn(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = path.posix.dirname(dir)) {
    const key = dir && dir !== '.' ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir || dir === '.') return undefined;
  }
}

/** Keys of `packages` reachable from the root through dependencies (dev ones of the root included). */
function reachable(packages: Record<string, LockEntry>): Set<string> {
  const seen = new Set<string>(['']);
  const todo = [''];
  while (todo.length) {
    const key = todo.pop()!;
    const entry = packages[key]!;
    const next: string[] = [];
    if (entry.link && entry.resolved) next.push(path.posix.normalize(entry.resolved));
    const fields = key === '' ? DEP_FIELDS : DEP_FIELDS.filter((f) => f !== 'devDependencies');
    for (const f of fields) {
      for (const name of Object.keys(entry[f] ?? {})) {
        const dep = resolveIn(packages, key, name);
        if (dep) next.push(dep);
      }
    }
    for (const k of next) {
      if (!seen.has(k) && packages[k]) {
        seen.add(k);
        todo.push(k);
      }
    }
  }
  return seen;
}

/**
 * `manifest` and `lock` without troupe (changed in place); false when neither named it. Locks
 * without a `packages` map (lockfileVersion 1, npm 6) only lose the root's dependency on it.
 */
export function dropTroupe(manifest: Manifest, lock: LockFile): boolean {
  let changed = dropDep(manifest as never);
  const packages = lock.packages;
  if (!packages?.['']) return changed;
  changed = dropDep(packages[''] as never) || changed;
  if (!packages[`node_modules/${TROUPE}`] && !changed) return false;
  delete packages[`node_modules/${TROUPE}`];
  const keep = reachable(packages);
  for (const key of Object.keys(packages)) {
    if (!keep.has(key)) {
      delete packages[key];
      changed = true;
    }
  }
  return changed;
}

/** Whether the lock links folders into node_modules (`file:` folders): such a tree is the job's own. */
export function hasLinks(lock: LockFile): boolean {
  return Object.values(lock.packages ?? {}).some((e) => e.link === true);
}
