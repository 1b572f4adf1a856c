/**
 * A fleet's DataLoader actor: takes shards from the DataCoordinator as its queue drains, builds
 * each batch's x/y from the dataset, applies the optional transform, puts the batch in the object
 * store and hands it to trainers by `next`. Backpressure: at most `prefetch` prepared batches.
 */
import { currentCluster } from '../../client/index.js';
import type { ActorHandle } from '../../client/index.js';
import { InvalidArgumentError, TimeoutError } from '../../common/index.js';
import type { DataCoordinator } from './coordinator-actor.js';
import type { BatchKey, NextReply, NextRequest } from './protocol.js';

export interface LoaderData {
  x: Float32Array;
  y: Int32Array;
  features: number;
  classes: number;
}

export type BatchTransform = (batch: {
  x: Float32Array;
  y: Int32Array;
  features: number;
}) => { x: Float32Array; y: Int32Array } | Promise<{ x: Float32Array; y: Int32Array }>;

export interface LoaderConfig {
  index: number;
  coordinator: ActorHandle<typeof DataCoordinator>;
  data: LoaderData;
  batchSize: number;
  /** Prepared batches held at most (default 4). */
  prefetch?: number;
  transform?: { module: string; name: string };
  timeoutMs: number;
}

export interface LoaderStats {
  index: number;
  batchesPrepared: number;
  queueHighWater: number;
  coordinatorWaitMs: number;
}

interface Prepared {
  key: BatchKey;
  ids: Int32Array;
  ref: unknown;
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

export class DataLoader {
  private readonly prefetch: number;
  private readonly ready: Prepared[] = [];
  private readonly pending: Array<{ epoch: number; index: number; ids: Int32Array }> = [];
  private state: 'ok' | 'wait' | 'end' = 'ok';
  private filling: Promise<void> | null = null;
  private transform: Promise<BatchTransform | undefined>;
  private prepared = 0;
  private highWater = 0;
  private waitMs = 0;

  constructor(private readonly config: LoaderConfig) {
    const { index, data, batchSize, timeoutMs } = config;
    const bad = (field: string, msg: string) => new InvalidArgumentError(`${field} ${msg}`, { context: { field } });
    if (!Number.isInteger(index) || index < 0) throw bad('index', `must be an integer ≥ 0, got ${index}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw bad('batchSize', `must be an integer ≥ 1, got ${batchSize}`);
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1)
      throw bad('timeoutMs', `must be an integer ≥ 1, got ${timeoutMs}`);
    this.prefetch = config.prefetch ?? 4;
    if (!Number.isInteger(this.prefetch) || this.prefetch < 1)
      throw bad('prefetch', `must be an integer ≥ 1, got ${this.prefetch}`);
    if (
      !(data?.x instanceof Float32Array) ||
      !(data.y instanceof Int32Array) ||
      data.x.length !== data.y.length * data.features
    )
      throw bad('data', 'must be { x: Float32Array (rows × features), y: Int32Array, features, classes }');
    const t = config.transform;
    this.transform = t
      ? import(t.module).then((m: Record<string, unknown>) => {
          if (typeof m[t.name] !== 'function') throw bad('transform', `${t.module} has no function export '${t.name}'`);
          return m[t.name] as BatchTransform;
        })
      : Promise.resolve(undefined);
    this.transform.catch(() => undefined);
  }

  async next(req: NextRequest): Promise<NextReply> {
    if (req === null || typeof req !== 'object' || !Array.isArray(req.done) || !Array.isArray(req.returned))
      throw new InvalidArgumentError('next: the request must be { trainer, done: BatchKey[], returned: BatchKey[] }', {
        context: { field: 'request' },
      });
    const coordinator = this.config.coordinator;
    if (req.done.length > 0 || req.returned.length > 0)
      await this.coordinatorCall(coordinator.call.report(req.trainer, req.done, req.returned));
    if (this.ready.length === 0) await this.refill();
    const batch = this.ready.shift();
    if (!batch) return { kind: this.state === 'end' ? 'end' : 'wait' };
    await this.coordinatorCall(coordinator.call.handed(this.config.index, req.trainer, [batch.key]));
    void this.refill().catch(() => undefined);
    return { kind: 'batch', key: batch.key, ids: batch.ids, loader: this.config.index, data: batch.ref };
  }

  stats(): LoaderStats {
    return {
      index: this.config.index,
      batchesPrepared: this.prepared,
      queueHighWater: this.highWater,
      coordinatorWaitMs: this.waitMs,
    };
  }

  private async coordinatorCall<T>(p: Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await within(p, this.config.timeoutMs, 'the data coordinator');
    } finally {
      this.waitMs += performance.now() - t0;
    }
  }

  private refill(): Promise<void> {
    if (!this.filling) this.filling = this.fill().finally(() => (this.filling = null));
    return this.filling;
  }

  private async fill(): Promise<void> {
    const { data, coordinator, index } = this.config;
    const transform = await this.transform;
    while (this.ready.length < this.prefetch) {
      if (this.pending.length === 0) {
        const r = await this.coordinatorCall(coordinator.call.take(index));
        if (r.kind !== 'shard') {
          this.state = r.kind;
          return;
        }
        for (const b of r.shard.batches) this.pending.push({ epoch: r.shard.epoch, index: b.index, ids: b.ids });
      }
      const b = this.pending.shift()!;
      const f = data.features;
      let x: Float32Array = new Float32Array(b.ids.length * f);
      let y: Int32Array = new Int32Array(b.ids.length);
      for (let k = 0; k < b.ids.length; k++) {
        const id = b.ids[k]!;
        x.set(data.x.subarray(id * f, (id + 1) * f), k * f);
        y[k] = data.y[id]!;
      }
      if (transform) ({ x, y } = await transform({ x, y, features: f }));
      const ref = await currentCluster().put({ x, y });
      this.ready.push({ key: { epoch: b.epoch, index: b.index }, ids: b.ids, ref });
      this.prepared++;
      this.highWater = Math.max(this.highWater, this.ready.length);
    }
    this.state = 'ok';
  }
}
