/**
 * Job packages on the head: a job's working directory, uploaded once by the client and kept in the
 * state store in chunks (`package/<sha256>/<n>`), so a restarted head still serves it to the supervisor.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError, MessageTooLargeError } from '../common/index.js';
import type { Logger } from '../common/index.js';
import type { Mutation, StateStore } from '../state/index.js';
import { DEFAULT_MAX_PACKAGE_BYTES, PACKAGE_CHUNK_BYTES, formatBytes } from '../jobs/index.js';

/** Key-value namespace of packages (`package/<sha256>/<n>`) and logs (`log/<job>/<offset>`). */
export const JOBS_KV = 'troupe.jobs';
const STORED_CHUNK = 4 * 1024 * 1024;
/**
 * How long a package outlives the last job that used it. Two clients that submit the same folder
 * share one package; the second one's upload may land before the first job ends and its SubmitJob
 * after, which used to find the package dropped ("the head holds no package").
 */
export const PACKAGE_GRACE_MS = 60_000;

/** One message of an upload stream. */
export interface PackageChunk {
  packageId: string;
  totalBytes: number;
  data: Buffer;
}

/**
 * One upload being received: every chunk names the same package, the bytes never exceed what the
 * first chunk announced, and the whole must hash to the package id.
 */
export class PackageUpload {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private id = '';
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  /** @throws InvalidArgumentError or MessageTooLargeError naming the field at fault. */
  add(c: PackageChunk): void {
    if (!this.id) {
      this.id = c.packageId;
      this.total = Number(c.totalBytes);
      if (!/^[0-9a-f]{64}$/.test(this.id)) {
        throw new InvalidArgumentError('package_id must be the hex SHA-256 of the package', {
          context: { field: 'package_id' },
        });
      }
      if (this.total > this.maxBytes) {
        throw new MessageTooLargeError(
          `the job package is ${formatBytes(this.total)}, over this head's cap of ${formatBytes(this.maxBytes)}; ` +
            'leave large files out with .troupeignore',
          { context: { field: 'total_bytes' } },
        );
      }
    } else if (c.packageId !== this.id) {
      throw new InvalidArgumentError('every chunk of one upload must carry the same package_id', {
        context: { field: 'package_id' },
      });
    }
    this.size += c.data.length;
    if (this.size > this.total) {
      throw new InvalidArgumentError(`the upload sent more than the ${this.total} bytes it announced`, {
        context: { field: 'total_bytes' },
      });
    }
    this.chunks.push(c.data);
  }

  /** The complete package, checked against its announced size and id. */
  finish(): { packageId: string; bytes: Buffer } {
    if (!this.id) throw new InvalidArgumentError('the upload held no chunk', { context: { field: 'data' } });
    const bytes = Buffer.concat(this.chunks);
    if (bytes.length !== this.total) {
      throw new InvalidArgumentError(`the upload ended after ${bytes.length} of the ${this.total} bytes it announced`, {
        context: { field: 'total_bytes' },
      });
    }
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== this.id) {
      throw new InvalidArgumentError(`the package does not match its package_id (sha256 ${got})`, {
        context: { field: 'package_id' },
      });
    }
    return { packageId: this.id, bytes };
  }
}

/** The packages the head holds, content-addressed. */
export class JobPackages {
  /** The largest package an upload may announce. */
  readonly maxBytes: number;
  /** The number of each package's last upload in this head's life (uploads counts them all). */
  private readonly uploadedAt = new Map<string, number>();
  private uploads = 0;

  constructor(
    private readonly store: StateStore,
    private readonly log: Logger,
    maxBytes?: number,
  ) {
    this.maxBytes = maxBytes ?? DEFAULT_MAX_PACKAGE_BYTES;
  }

  /** A receiver for one upload stream. */
  upload(): PackageUpload {
    return new PackageUpload(this.maxBytes);
  }

  async put(id: string, bytes: Buffer): Promise<void> {
    this.uploadedAt.set(id, ++this.uploads);
    if ((await this.keys(id)).length > 0) return; // same content, stored already
    const mutations: Mutation[] = [];
    for (let i = 0, n = 0; i < bytes.length || n === 0; i += STORED_CHUNK, n++) {
      const key = `package/${id}/${String(n).padStart(6, '0')}`;
      mutations.push({ op: 'kvPut', namespace: JOBS_KV, key, value: bytes.subarray(i, i + STORED_CHUNK) });
    }
    await this.store.commit(mutations);
    this.log.info({ packageId: id, bytes: bytes.length }, 'job package stored');
  }

  /** The package's size in bytes, or undefined when the head does not hold it. */
  async size(id: string): Promise<number | undefined> {
    const keys = await this.keys(id);
    if (keys.length === 0) return undefined;
    let bytes = 0;
    for (const k of keys) bytes += (await this.store.kvGet(JOBS_KV, k))?.length ?? 0;
    return bytes;
  }

  /**
   * The package in pieces of at most PACKAGE_CHUNK_BYTES, read from the store as they are taken.
   * @throws InvalidArgumentError when the head does not hold it.
   */
  async *read(id: string): AsyncGenerator<Buffer> {
    const keys = await this.keys(id);
    if (keys.length === 0) {
      throw new InvalidArgumentError(`the head holds no package ${id}`, { context: { field: 'package_id' } });
    }
    for (const key of keys.sort()) {
      const part = Buffer.from((await this.store.kvGet(JOBS_KV, key)) ?? new Uint8Array());
      for (let i = 0; i < part.length; i += PACKAGE_CHUNK_BYTES) yield part.subarray(i, i + PACKAGE_CHUNK_BYTES);
    }
  }

  /**
   * Deletes the package after PACKAGE_GRACE_MS unless by then `inUse()` or it was uploaded again
   * since this call (a client is about to submit it).
   */
  dropLater(id: string, inUse: () => boolean, graceMs = PACKAGE_GRACE_MS): void {
    // Uploads are numbered, not timed: a timer may fire a millisecond before Date.now() says its
    // delay has passed, and a package then read as "uploaded again" was never dropped.
    const upload = this.uploadedAt.get(id) ?? 0;
    setTimeout(() => {
      if (inUse() || (this.uploadedAt.get(id) ?? 0) !== upload) return;
      this.uploadedAt.delete(id);
      void this.drop(id);
    }, graceMs).unref();
  }

  /** Deletes the package; failures are ignored (an orphan package costs space, nothing else). */
  async drop(id: string): Promise<void> {
    const keys = await this.keys(id).catch(() => [] as string[]);
    if (keys.length) {
      await this.store
        .commit(keys.map((key) => ({ op: 'kvDelete' as const, namespace: JOBS_KV, key })))
        .catch(() => undefined);
    }
  }

  private keys(id: string): Promise<string[]> {
    return this.store.kvList(JOBS_KV, `package/${id}/`);
  }
}
