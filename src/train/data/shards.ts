/**
 * The data coordinator's bookkeeping, as plain code (no actors): epochs of the sample order,
 * cut into batches and shards, and where each batch is — queued, at loader l, at trainer t, done.
 *
 * Epoch e's order is the (e+1)-th `permutation(length, rng)` drawn from `new Random(seed)`, as
 * trainPipeline and trainSingleProcess draw it. Batch k holds order[k·B, (k+1)·B), the last one
 * short (no sample dropped). A shard is up to `shardBatches` batches of one epoch from the front
 * of the queue; batches that come back (their trainer or loader is gone, or a trainer returned
 * them) go to the front, so they are handed out before anything else. The next epoch is opened
 * once the queue is empty, even while batches of the current one are still out.
 */
import { InvalidArgumentError } from '../../common/index.js';
import type { BatchKey, CoordinatorStats, TakeReply } from '../fleet/protocol.js';
import { Random } from '../random.js';
import { permutation } from './mnist.js';

export interface ShardQueueConfig {
  length: number;
  batchSize: number;
  shardBatches: number;
  epochs: number;
  seed: number;
}

const QUEUED = 0;
const AT_LOADER = 1;
const AT_TRAINER = 2;
const DONE = 3;

export type RequeueReason = 'trainerGone' | 'loaderGone' | 'returned';

interface Epoch {
  order: Int32Array;
  /** Per batch: QUEUED, AT_LOADER, AT_TRAINER or DONE. */
  state: Int8Array;
  /** Per batch: the loader or trainer holding it (-1 when queued). */
  holder: Int32Array;
  /** Per batch: the last trainer it was handed to (-1: none yet). */
  trainer: Int32Array;
  doneIds: Int32Array;
  doneCount: number;
  doneSamples: number;
}

export class ShardQueue {
  readonly batchesPerEpoch: number;
  private readonly rng: Random;
  private readonly epochs: Epoch[] = [];
  /** Batches waiting to be handed out, front first. */
  private queue: BatchKey[] = [];
  private head = 0;
  private duplicates = 0;
  private readonly requeued = { trainerGone: 0, loaderGone: 0, returned: 0 };
  private readonly shardsByLoader = new Map<number, number>();
  private readonly batchesByTrainer = new Map<number, number>();
  private batchesDone = 0;

  constructor(readonly config: ShardQueueConfig) {
    const { length, batchSize, shardBatches, epochs, seed } = config;
    const int = (name: string, v: number, min: number) => {
      if (!Number.isInteger(v) || v < min)
        throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got ${v}`, { context: { field: name } });
    };
    int('length', length, 1);
    int('batchSize', batchSize, 1);
    int('shardBatches', shardBatches, 1);
    int('epochs', epochs, 1);
    if (!Number.isFinite(seed))
      throw new InvalidArgumentError(`seed must be a number, got ${seed}`, { context: { field: 'seed' } });
    this.batchesPerEpoch = Math.ceil(length / batchSize);
    this.rng = new Random(seed);
    this.openEpoch();
  }

  /** The epoch being handed out now. */
  get epoch(): number {
    return this.epochs.length - 1;
  }

  /** Every batch of every epoch done. */
  get finished(): boolean {
    return this.batchesDone === this.batchesPerEpoch * this.config.epochs;
  }

  /** The sample ids of batch `index` of `epoch` (that epoch must be open). */
  ids(key: BatchKey): Int32Array {
    const e = this.epochs[key.epoch]!;
    const B = this.config.batchSize;
    return e.order.slice(key.index * B, Math.min((key.index + 1) * B, this.config.length));
  }

  /** The next shard for loader `loader`, 'wait' when nothing is queued but batches are out, or 'end'. */
  take(loader: number): TakeReply {
    if (this.head === this.queue.length && this.epoch + 1 < this.config.epochs) this.openEpoch();
    if (this.head === this.queue.length) return this.finished ? { kind: 'end' } : { kind: 'wait' };
    const first = this.queue[this.head]!;
    const batches: Array<{ index: number; ids: Int32Array }> = [];
    while (this.head < this.queue.length && batches.length < this.config.shardBatches) {
      const key = this.queue[this.head]!;
      if (key.epoch !== first.epoch) break;
      this.head++;
      const e = this.epochs[key.epoch]!;
      e.state[key.index] = AT_LOADER;
      e.holder[key.index] = loader;
      batches.push({ index: key.index, ids: this.ids(key) });
    }
    this.compact();
    this.shardsByLoader.set(loader, (this.shardsByLoader.get(loader) ?? 0) + 1);
    return { kind: 'shard', shard: { epoch: first.epoch, batches } };
  }

  /** Loader `loader` handed these batches (it holds them) to trainer `trainer`. */
  handed(loader: number, trainer: number, keys: readonly BatchKey[]): void {
    for (const key of keys) {
      const e = this.batch(key, 'keys');
      if (e.state[key.index] !== AT_LOADER || e.holder[key.index] !== loader)
        throw this.notHeld(key, `loader ${loader}`);
    }
    for (const { epoch, index } of keys) {
      const e = this.epochs[epoch]!;
      e.state[index] = AT_TRAINER;
      e.holder[index] = trainer;
      e.trainer[index] = trainer;
    }
  }

  /**
   * Trainer `trainer` trained on these batches. A batch it already reported done is ignored (a
   * report retried through another loader after its loader died); a batch it does not hold is
   * refused (nothing is changed then). `duplicates` counts a batch whose ids would be recorded
   * twice, which this bookkeeping rules out (it stays 0; kept as a check).
   */
  done(trainer: number, keys: readonly BatchKey[]): void {
    for (const key of keys) {
      const e = this.batch(key, 'done');
      const held = e.state[key.index] === AT_TRAINER && e.holder[key.index] === trainer;
      const again = e.state[key.index] === DONE && e.trainer[key.index] === trainer;
      if (!held && !again) throw this.notHeld(key, `trainer ${trainer}`, 'done');
    }
    for (const key of keys) {
      const e = this.epochs[key.epoch]!;
      if (e.state[key.index] === DONE) continue;
      if (e.doneSamples + this.ids(key).length > this.config.length) this.duplicates++;
      e.state[key.index] = DONE;
      e.holder[key.index] = -1;
      const ids = this.ids(key);
      e.doneIds.set(ids, e.doneSamples);
      e.doneSamples += ids.length;
      e.doneCount++;
      this.batchesDone++;
      this.batchesByTrainer.set(trainer, (this.batchesByTrainer.get(trainer) ?? 0) + 1);
    }
  }

  /** Trainer `trainer` will not train on these batches it holds: back to the front of the queue. */
  returned(trainer: number, keys: readonly BatchKey[]): void {
    for (const key of keys) {
      const e = this.batch(key, 'returned');
      if (e.state[key.index] !== AT_TRAINER || e.holder[key.index] !== trainer)
        throw this.notHeld(key, `trainer ${trainer}`, 'returned');
    }
    this.requeue([...keys], 'returned');
  }

  /** Trainer `trainer` is gone: the batches it held and did not report done go back. Returns how many. */
  trainerGone(trainer: number): number {
    return this.requeue(this.held(AT_TRAINER, trainer), 'trainerGone');
  }

  /** Loader `loader` is gone: the batches it held (not yet handed out) go back. Returns how many. */
  loaderGone(loader: number): number {
    return this.requeue(this.held(AT_LOADER, loader), 'loaderGone');
  }

  stats(loaders = 0, trainers = 0): CoordinatorStats {
    const count = (m: Map<number, number>, n: number) => {
      const size = Math.max(n, ...[...m.keys()].map((k) => k + 1));
      return Array.from({ length: size }, (_, i) => m.get(i) ?? 0);
    };
    return {
      epoch: this.epoch,
      doneIds: this.epochs.map((e) => e.doneIds.slice(0, e.doneSamples)),
      duplicates: this.duplicates,
      requeued: { ...this.requeued },
      shardsByLoader: count(this.shardsByLoader, loaders),
      batchesByTrainer: count(this.batchesByTrainer, trainers),
    };
  }

  private openEpoch(): void {
    const n = this.batchesPerEpoch;
    const epoch = this.epochs.length;
    this.epochs.push({
      order: permutation(this.config.length, this.rng),
      state: new Int8Array(n),
      holder: new Int32Array(n).fill(-1),
      trainer: new Int32Array(n).fill(-1),
      doneIds: new Int32Array(this.config.length),
      doneCount: 0,
      doneSamples: 0,
    });
    for (let index = 0; index < n; index++) this.queue.push({ epoch, index });
  }

  private held(state: number, holder: number): BatchKey[] {
    const out: BatchKey[] = [];
    this.epochs.forEach((e, epoch) => {
      for (let index = 0; index < e.state.length; index++)
        if (e.state[index] === state && e.holder[index] === holder) out.push({ epoch, index });
    });
    return out;
  }

  /** Puts `keys` at the front of the queue, in their order. */
  private requeue(keys: BatchKey[], reason: RequeueReason): number {
    for (const { epoch, index } of keys) {
      const e = this.epochs[epoch]!;
      e.state[index] = QUEUED;
      e.holder[index] = -1;
    }
    this.queue = [...keys, ...this.queue.slice(this.head)];
    this.head = 0;
    this.requeued[reason] += keys.length;
    return keys.length;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** The epoch of `key`, after checking that it names a batch of an open epoch. */
  private batch(key: BatchKey, field: string): Epoch {
    const ok =
      key !== null &&
      typeof key === 'object' &&
      Number.isInteger(key.epoch) &&
      Number.isInteger(key.index) &&
      key.epoch >= 0 &&
      key.epoch < this.epochs.length &&
      key.index >= 0 &&
      key.index < this.batchesPerEpoch;
    if (!ok)
      throw new InvalidArgumentError(
        `${field}: ${JSON.stringify(key)} is not a batch key (epoch in 0..${this.epoch}, index in 0..${this.batchesPerEpoch - 1})`,
        { context: { field } },
      );
    return this.epochs[key.epoch]!;
  }

  private notHeld(key: BatchKey, who: string, field = 'keys'): InvalidArgumentError {
    const e = this.epochs[key.epoch]!;
    const where = ['queued', 'at loader', 'at trainer', 'done'][e.state[key.index]!]!;
    const holder = e.holder[key.index]! >= 0 ? ` ${e.holder[key.index]}` : '';
    return new InvalidArgumentError(
      `${field}: batch (epoch ${key.epoch}, index ${key.index}) is not held by ${who} (it is ${where}${holder})`,
      { context: { field } },
    );
  }
}
