/**
 * Driver logs on the head: appended to the state store as the supervisor sends them
 * (`log/<job>/<offset>`), cached per job once read, and read back from any offset.
 */
import type { Mutation, StateStore } from '../state/index.js';
import { formatBytes } from '../jobs/index.js';
import { JOBS_KV } from './job-packages.js';

/** A job's log beyond this is dropped (with a note in the log). */
const MAX_LOG_BYTES = 64 * 1024 * 1024;
/** The most one read returns. */
export const MAX_LOG_READ = 4 * 1024 * 1024;

export class JobLogs {
  /** Log chunks by job, loaded from the store on first read. */
  private readonly chunks = new Map<string, Buffer[]>();

  constructor(private readonly store: StateStore) {}

  /** A new job's log: empty, nothing to load. */
  start(jobId: string): void {
    this.chunks.set(jobId, []);
  }

  /**
   * Takes the bytes a report carries from `offset` on, given that the log holds `logBytes` so far:
   * a resend's overlap is skipped and the log is capped. Returns the store mutation and how many bytes
   * were added (the caller commits it with the job row), or undefined when nothing is new.
   */
  async append(
    jobId: string,
    logBytes: number,
    offset: number,
    data: Buffer,
  ): Promise<{ mutation: Mutation; added: number } | undefined> {
    if (data.length === 0) return undefined;
    const chunks = await this.load(jobId);
    // A resend overlaps what the head holds already: keep only the new bytes.
    let fresh = offset < logBytes ? data.subarray(logBytes - offset) : data;
    if (logBytes + fresh.length > MAX_LOG_BYTES) {
      const room = Math.max(0, MAX_LOG_BYTES - logBytes);
      const note = Buffer.from(`\n[troupe: the log reached ${formatBytes(MAX_LOG_BYTES)}; the rest is dropped]\n`);
      fresh = room > 0 ? Buffer.concat([fresh.subarray(0, room - Math.min(room, 80)), note]) : Buffer.alloc(0);
    }
    if (fresh.length === 0) return undefined;
    chunks.push(fresh);
    const key = `log/${jobId}/${String(logBytes).padStart(16, '0')}`;
    return { mutation: { op: 'kvPut', namespace: JOBS_KV, key, value: fresh }, added: fresh.length };
  }

  /** At most `max` bytes of the log from `offset` on. */
  async read(jobId: string, offset: number, max: number): Promise<Buffer> {
    const chunks = await this.load(jobId);
    const out: Buffer[] = [];
    let pos = 0;
    let taken = 0;
    for (const c of chunks) {
      const end = pos + c.length;
      if (end > offset && taken < max) {
        const part = c.subarray(Math.max(0, offset - pos), Math.max(0, offset - pos) + (max - taken));
        out.push(part);
        taken += part.length;
      }
      pos = end;
    }
    return Buffer.concat(out);
  }

  private async load(jobId: string): Promise<Buffer[]> {
    let chunks = this.chunks.get(jobId);
    if (chunks) return chunks;
    chunks = [];
    for (const key of (await this.store.kvList(JOBS_KV, `log/${jobId}/`)).sort()) {
      const v = await this.store.kvGet(JOBS_KV, key);
      if (v) chunks.push(Buffer.from(v));
    }
    this.chunks.set(jobId, chunks);
    return chunks;
  }
}
