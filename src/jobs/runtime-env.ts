/**
 * A job's runtime environment on its node, as Ray's runtime_env: `troupe` always resolves from the
 * job's folder to this node's own installation (a link in its node_modules; the node's version wins
 * over one the job's lock names, so driver and cluster speak the same protocol), and a package.json
 * with a lock file gets its dependencies installed by `npm ci --omit=dev`, once per lock on a node:
 * the installed node_modules is kept under `<troupe tmp>/jobs-env/<hash>` and later jobs with the same
 * lock link to it. One job installs while others with the same lock wait (a lock folder, taken with
 * mkdir, freed when its owner dies); the tree is moved into the cache with one rename once complete.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError } from '../common/index.js';
import { dropTroupe, hasLinks, type LockFile, type Manifest } from './lock-prune.js';
import { npmCi } from './npm-install.js';
import { troupePackage } from './troupe-package.js';

/** npm reads npm-shrinkwrap.json before package-lock.json. */
const LOCK_FILES = ['npm-shrinkwrap.json', 'package-lock.json'];
const WAIT_POLL_MS = 200;
/** A lock folder without an owner's pid this long after it was made is left over by a crash. */
const STALE_LOCK_MS = 10_000;

export interface RuntimeEnvOptions {
  /** The job's unpacked working directory. */
  dir: string;
  /** Where installed dependencies are kept between jobs. */
  cacheRoot: string;
  /** The driver's environment (npm runs with it, so `--env npm_config_registry=…` works). */
  env: Record<string, string>;
  /** Lines for the job's log. */
  output: (data: Buffer) => void;
  signal?: AbortSignal;
}

const say = (o: RuntimeEnvOptions, line: string): void => o.output(Buffer.from(`[troupe] ${line}\n`));

/** Points `<nodeModules>/troupe` at this node's troupe, replacing whatever is there. */
function linkTroupe(nodeModules: string): void {
  const link = path.join(nodeModules, 'troupe');
  rmSync(link, { recursive: true, force: true });
  symlinkSync(troupePackage().root, link, 'dir');
}

const readJson = <T>(file: string): T => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new InvalidArgumentError(`${path.basename(file)} of the job is not valid JSON: ${(err as Error).message}`, {
      context: { field: path.basename(file) },
    });
  }
};

/** Whether package.json names dependencies besides troupe (those a lock file would install). */
const namesDependencies = (m: Manifest): boolean =>
  ['dependencies', 'optionalDependencies'].some((f) =>
    Object.keys((m[f] as Record<string, string> | undefined) ?? {}).some((name) => name !== 'troupe'),
  );

/** Sets up the job's node_modules in `o.dir` (see the module comment). */
export async function prepareRuntimeEnv(o: RuntimeEnvOptions): Promise<void> {
  const nodeModules = path.join(o.dir, 'node_modules');
  const lockName = LOCK_FILES.find((f) => existsSync(path.join(o.dir, f)));
  const hasManifest = existsSync(path.join(o.dir, 'package.json'));
  if (!lockName || !hasManifest) {
    if (hasManifest && namesDependencies(readJson<Manifest>(path.join(o.dir, 'package.json'))))
      say(o, 'package.json has no package-lock.json: its dependencies are not installed (npm install makes one)');
    if (lstatSync(nodeModules, { throwIfNoEntry: false })?.isSymbolicLink()) rmSync(nodeModules);
    mkdirSync(nodeModules, { recursive: true });
    linkTroupe(nodeModules);
    return;
  }
  const manifestFile = path.join(o.dir, 'package.json');
  const lockFile = path.join(o.dir, lockName);
  const original = { manifest: readFileSync(manifestFile), lock: readFileSync(lockFile) };
  const manifest = readJson<Manifest>(manifestFile);
  const lock = readJson<LockFile>(lockFile);
  const pruned = dropTroupe(manifest, lock);
  const lockText = pruned ? `${JSON.stringify(lock, null, 2)}\n` : original.lock.toString('utf8');
  const { root, version } = troupePackage();
  const runtime = [process.versions.modules, process.platform, process.arch, root, version].join('\0');
  const hash = createHash('sha256').update(lockText).update('\0').update(runtime).digest('hex');
  rmSync(nodeModules, { recursive: true, force: true });
  const install = async (): Promise<void> => {
    say(o, `installing the dependencies of ${lockName}: npm ci --omit=dev`);
    const started = Date.now();
    if (pruned) {
      writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
      writeFileSync(lockFile, lockText);
    }
    try {
      await npmCi({ cwd: o.dir, env: o.env, output: o.output, signal: o.signal, lockName });
    } finally {
      // The driver sees its own files, troupe and all.
      writeFileSync(manifestFile, original.manifest);
      writeFileSync(lockFile, original.lock);
    }
    mkdirSync(nodeModules, { recursive: true });
    linkTroupe(nodeModules);
    say(o, `dependencies installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  };
  if (hasLinks(lock)) {
    // Linked folders are the job's own files: such a tree cannot be shared.
    await install();
    return;
  }
  const cached = path.join(o.cacheRoot, hash);
  const cachedModules = path.join(cached, 'node_modules');
  mkdirSync(o.cacheRoot, { recursive: true, mode: 0o700 });
  const release = await takeInstallLock(`${cached}.installing`, cachedModules, o.signal);
  try {
    if (!existsSync(cachedModules)) {
      await install();
      // Complete trees only: the cache folder appears with one rename.
      const tmp = `${cached}.tmp-${randomBytes(4).toString('hex')}`;
      mkdirSync(tmp);
      writeFileSync(path.join(tmp, lockName), lockText);
      renameSync(nodeModules, path.join(tmp, 'node_modules'));
      try {
        renameSync(tmp, cached);
      } catch (err) {
        // Only one who took the lock of a dead owner can get here; the tree already there is as good.
        if (!existsSync(cachedModules)) throw err;
        rmSync(tmp, { recursive: true, force: true });
      }
    } else {
      say(o, `dependencies of ${lockName} from this node's cache (${hash.slice(0, 12)})`);
      const now = new Date();
      utimesSync(cached, now, now); // when it was last used, for whoever prunes the cache
    }
  } finally {
    release();
  }
  symlinkSync(cachedModules, nodeModules, 'dir');
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the install lock of one cache entry, waiting while another live process holds it; returns
 * at once, without it, if the entry is complete by then.
 */
async function takeInstallLock(lockDir: string, done: string, signal?: AbortSignal): Promise<() => void> {
  for (;;) {
    if (signal?.aborted) throw new InvalidArgumentError('the job was stopped while waiting for its dependencies');
    if (existsSync(done)) return () => undefined;
    try {
      mkdirSync(lockDir);
      writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(path.join(lockDir, 'pid'), 'utf8'));
    } catch {
      // just made, its pid not yet written (or never: its owner died in between)
    }
    const age = Date.now() - (statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if ((owner > 0 && !alive(owner)) || (owner === 0 && age > STALE_LOCK_MS))
      rmSync(lockDir, { recursive: true, force: true });
    else await sleep(WAIT_POLL_MS);
  }
}
