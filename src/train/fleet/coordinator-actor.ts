/**
 * The fleet's DataCoordinator actor: a ShardQueue behind actor methods. Every argument comes off
 * the wire, so each is checked: loader and trainer numbers in range, keys held by whoever reports
 * them; what is wrong is refused with an InvalidArgumentError naming it.
 */
import { InvalidArgumentError } from '../../common/index.js';
import { ShardQueue } from '../data/shards.js';
import type { BatchKey, CoordinatorStats, TakeReply } from './protocol.js';

export interface CoordinatorConfig {
  length: number;
  batchSize: number;
  shardBatches: number;
  epochs: number;
  seed: number;
  loaders: number;
  trainers: number;
  timeoutMs: number;
}

const MAX_KEYS = 1_000_000;

function count(name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1)
    throw new InvalidArgumentError(`${name} must be an integer ≥ 1, got ${String(v)}`, { context: { field: name } });
  return v as number;
}

export class DataCoordinator {
  private readonly queue: ShardQueue;
  private readonly loaders: number;
  private readonly trainers: number;

  constructor(config: CoordinatorConfig) {
    if (config === null || typeof config !== 'object')
      throw new InvalidArgumentError('the coordinator config must be an object', { context: { field: 'config' } });
    this.loaders = count('loaders', config.loaders);
    this.trainers = count('trainers', config.trainers);
    count('timeoutMs', config.timeoutMs);
    this.queue = new ShardQueue({
      length: config.length,
      batchSize: config.batchSize,
      shardBatches: config.shardBatches,
      epochs: config.epochs,
      seed: config.seed,
    });
  }

  take(loader: number): TakeReply {
    return this.queue.take(this.loader(loader));
  }

  handed(loader: number, trainer: number, keys: BatchKey[]): void {
    this.queue.handed(this.loader(loader), this.trainer(trainer), this.keys(keys, 'keys'));
  }

  done(trainer: number, keys: BatchKey[]): void {
    this.queue.done(this.trainer(trainer), this.keys(keys, 'done'));
  }

  returned(trainer: number, keys: BatchKey[]): void {
    this.queue.returned(this.trainer(trainer), this.keys(keys, 'returned'));
  }

  /** done, then returned, for one trainer (what a loader forwards from one `next`). */
  report(trainer: number, done: BatchKey[], returned: BatchKey[]): void {
    this.done(trainer, done);
    this.returned(trainer, returned);
  }

  trainerGone(trainer: number): number {
    return this.queue.trainerGone(this.trainer(trainer));
  }

  loaderGone(loader: number): number {
    return this.queue.loaderGone(this.loader(loader));
  }

  stats(): CoordinatorStats {
    return this.queue.stats(this.loaders, this.trainers);
  }

  private loader(l: unknown): number {
    if (!Number.isInteger(l) || (l as number) < 0 || (l as number) >= this.loaders)
      throw new InvalidArgumentError(`loader ${String(l)} is unknown (loaders are 0..${this.loaders - 1})`, {
        context: { field: 'loader' },
      });
    return l as number;
  }

  private trainer(t: unknown): number {
    if (!Number.isInteger(t) || (t as number) < 0 || (t as number) >= this.trainers)
      throw new InvalidArgumentError(`trainer ${String(t)} is unknown (trainers are 0..${this.trainers - 1})`, {
        context: { field: 'trainer' },
      });
    return t as number;
  }

  private keys(keys: unknown, field: string): BatchKey[] {
    if (!Array.isArray(keys) || keys.length > MAX_KEYS)
      throw new InvalidArgumentError(`${field} must be an array of batch keys (at most ${MAX_KEYS})`, {
        context: { field },
      });
    return keys as BatchKey[];
  }
}
