/**
 * A fleet's trainer actor and the base class for users' own: it takes batches from a data loader,
 * runs forward and backward on the native core (on its GPU when it has one), accumulates
 * gradients over `accumulate` batches, clips them, and pushes them to every parameter shard,
 * whose answers are the weights it trains on next. In 'allreduce' mode there are no shards: the
 * trainers average their gradients with a ring allreduce and each steps its own optimizer.
 * Subclasses change the loss (`loss`) or the whole gradient computation (`computeGradients`).
 * It is over 400 lines because the three loops (with shards, with backup workers, allreduce) share
 * the batch intake, the gradient pass and the loader failover, and splitting them would spread one
 * trainer's state over several files.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, TimeoutError, TroupeError, UnavailableError } from '../../common/index.js';
import { getCollectiveGroup } from '../../collective/index.js';
import { currentCluster, type ActorClassType, type ActorHandle } from '../../client/index.js';
import type { ObjectRef } from '../../objects/index.js';
type AnyHandle = ActorHandle<ActorClassType>;
import { nativeAddon } from '../../../native/index.js';
import { scale, softmaxCrossEntropy } from '../ops.js';
import { AdamW, SGD, clipGradNorm, type Optimizer } from '../optim.js';
import { Tensor, type Device } from '../tensor.js';
import type { Sequential } from '../module.js';
import { buildLayers, type LayerSpec } from '../pipeline/model-spec.js';
import type { OptimizerSpec } from '../pipeline/stage-actor.js';
import { gather, scatter } from './layout.js';
import type { BatchKey, NextReply, NextRequest, ParamLayout, PushReply, PushRequest, JoinReply } from './protocol.js';
import { SnapshotRing } from './snapshot-ring.js';

export type FleetMode = 'bsp' | 'ssp' | 'async' | 'allreduce';

export interface TrainerConfig {
  index: number;
  /** Trainers in the fleet (backup workers included). */
  trainers: number;
  layers: LayerSpec[];
  layout: ParamLayout;
  mode: FleetMode;
  /** BSP backup workers: gradients go to shard 0 first, which decides which of a step's gradients count. */
  backupWorkers: number;
  shards: AnyHandle[];
  loaders: AnyHandle[];
  /** 'allreduce' only: the starting weights by name, and the optimizer each trainer steps. */
  initial?: Record<string, Float32Array>;
  optimizer?: OptimizerSpec;
  /** 'allreduce' only, trainer 0: keep a weight snapshot every this many steps for evaluators. */
  snapshotEvery: number;
  /** Batches per push. */
  accumulate: number;
  /** Clip the accumulated gradient's global L2 norm to this (0: no clipping). */
  clipNorm: number;
  /** Straggler hook: each step takes `slowdown` times its computation time (1: as fast as it can). */
  slowdown: number;
  threads: number;
  device: Device;
  timeoutMs: number;
}

export interface TrainerReport {
  index: number;
  /** Pushes made (BSP: steps taken part in). */
  clock: number;
  samples: number;
  batches: number;
  /** Forward and backward time. */
  computeMs: number;
  /** Time waiting for the shards' (or the allreduce's) answers. */
  pushWaitMs: number;
  /** Time waiting for loaders. */
  dataWaitMs: number;
  /** Time the slow-down hook added. */
  slowedMs: number;
  /** Pushes whose gradient BSP dropped (a backup worker's straggler). */
  dropped: number;
  /** Each accepted push: the clock it was made at and the sample ids behind it. */
  trained: Array<{ clock: number; ids: Int32Array }>;
}

interface Fetched {
  key: BatchKey;
  ids: Int32Array;
  x: Float32Array;
  y: Int32Array;
  features: number;
}

type Call<T> = (...args: never[]) => Promise<T>;
const call = <T>(h: AnyHandle, method: string): Call<T> =>
  (h.call as unknown as Record<string, Call<T>>)[method]!.bind(h.call);

export class Trainer {
  protected readonly model: Sequential;
  private readonly named: Array<[string, import('../tensor.js').Parameter]>;
  private readonly snapshots: SnapshotRing | null;
  private slowdown: number;
  private loader: number;
  private readonly goneLoaders = new Set<number>();
  private clock = 0;
  private versions: number[] = [];
  private allreduceOptimizer: Optimizer | null = null;
  private lossCurve: Array<[number, number, number]> = [];

  constructor(protected readonly config: TrainerConfig) {
    if (config.threads > 0) nativeAddon().setThreads(config.threads);
    this.model = buildLayers(config.layers, config.device);
    this.named = this.model.namedParameters();
    this.slowdown = config.slowdown;
    this.loader = config.index % Math.max(1, config.loaders.length);
    this.snapshots =
      config.mode === 'allreduce' && config.index === 0 && config.snapshotEvery > 0 ? new SnapshotRing(3) : null;
    if (config.mode === 'allreduce') {
      if (!config.initial || !config.optimizer)
        throw new InvalidArgumentError("an 'allreduce' trainer needs its initial weights and optimizer", {
          context: { field: 'initial' },
        });
      this.model.loadParameters(new Map(Object.entries(config.initial)));
      config.initial = {};
      this.allreduceOptimizer = makeOptimizer(this.model, config.optimizer);
    }
  }

  /**
   * The mean loss of a batch, a one-element tensor the gradient flows back from. The default is
   * softmax cross-entropy of the outputs against the labels; override it for another loss.
   */
  protected async loss(output: Tensor, labels: Int32Array): Promise<Tensor> {
    return softmaxCrossEntropy(output, labels);
  }

  /**
   * Accumulates into the parameters' `.grad` the gradient of `weight` × the mean loss over the
   * batch, and returns that mean loss. Override for a custom step (several losses, a regulariser).
   */
  protected async computeGradients(batch: { x: Tensor; y: Int32Array }, weight: number): Promise<number> {
    const out = await this.model.forward(batch.x);
    const l = await this.loss(out, batch.y);
    const value = l.item();
    const scaled = weight === 1 ? l : await scale(l, weight);
    await scaled.backward();
    for (const t of new Set([out, l, scaled])) if (!t.freed) t.free();
    return value;
  }

  /** The straggler hook: from now on each step takes `factor` times its computation time. */
  setSlowdown(factor: number): void {
    if (!(factor >= 1) || !Number.isFinite(factor))
      throw new InvalidArgumentError(`slowdown must be a number >= 1, got ${factor}`, {
        context: { field: 'slowdown' },
      });
    this.slowdown = factor;
  }

  /** 'allreduce', trainer 0: the newest snapshot after `version`, waiting up to `timeoutMs`. */
  async snapshotAfter(version: number, timeoutMs: number) {
    if (!this.snapshots) return null;
    return this.snapshots.after(version, timeoutMs);
  }

  snapshotAt(version: number) {
    return this.snapshots?.at(version) ?? null;
  }

  /** The trainer's current weights by name (in 'allreduce' mode, every trainer's are the model's). */
  weights(): Record<string, Float32Array> {
    return Object.fromEntries(this.named.map(([name, p]) => [name, p.toFloat32Array()]));
  }

  /** 'allreduce', trainer 0: [step, samples so far, loss] per step. */
  losses(): Array<[number, number, number]> {
    return this.lossCurve;
  }

  /** Trains until the loaders say every batch of every epoch is done; returns what it did. */
  async run(): Promise<TrainerReport> {
    const report: TrainerReport = {
      index: this.config.index,
      clock: 0,
      samples: 0,
      batches: 0,
      computeMs: 0,
      pushWaitMs: 0,
      dataWaitMs: 0,
      slowedMs: 0,
      dropped: 0,
      trained: [],
    };
    if (this.config.mode === 'allreduce') await this.runAllreduce(report);
    else await this.runWithShards(report);
    report.clock = this.clock;
    return report;
  }

  private async runWithShards(report: TrainerReport): Promise<void> {
    const { shards, index } = this.config;
    const joins = await this.onShards<JoinReply>('join', () => index);
    this.clock = Math.max(...joins.map((j) => j.clock));
    this.versions = joins.map((j) => j.version);
    this.loadShardValues(joins.map((j) => j.values));
    let done: BatchKey[] = [];
    let returned: BatchKey[] = [];
    for (;;) {
      const { batches, ended } = await this.takeBatches(report, done, returned);
      done = [];
      returned = [];
      if (batches.length === 0 && ended) {
        await this.onShards('leave', () => index);
        return;
      }
      if (batches.length === 0 && this.config.mode === 'async') {
        await sleep(20); // nothing queued now, batches out elsewhere: ask again
        continue;
      }
      // BSP and SSP: with no batch, a push of no samples keeps this trainer's clock going, so
      // that trainers waiting for it (holding the batches still out) go on.
      if (batches.length === 0) await sleep(5);
      const { grads, loss, samples } = await this.gradients(batches, report);
      const request = (k: number): PushRequest => ({
        trainer: index,
        clock: this.clock,
        readVersion: this.versions[k]!,
        grad: gather(this.config.layout, k, grads),
        samples,
        loss,
      });
      const t0 = performance.now();
      let replies: PushReply[];
      if (this.config.mode === 'bsp' && this.config.backupWorkers > 0 && shards.length > 1) {
        // Shard 0 decides which gradients of a step count; the others get only those.
        const first = await this.pushTo(0, request(0));
        if (first.accepted) {
          replies = [first, ...(await Promise.all(shards.slice(1).map((_, i) => this.pushTo(i + 1, request(i + 1)))))];
        } else {
          const rest = await Promise.all(shards.slice(1).map((s) => call<JoinReply>(s, 'join')(index as never)));
          replies = [
            first,
            ...rest.map((j) => ({ accepted: false, version: j.version, clock: first.clock, values: j.values })),
          ];
        }
      } else {
        replies = await Promise.all(shards.map((_, k) => this.pushTo(k, request(k))));
      }
      report.pushWaitMs += performance.now() - t0;
      const accepted = replies[0]!.accepted;
      if (accepted) {
        if (batches.length) report.trained.push({ clock: this.clock, ids: concatIds(batches) });
        for (const b of batches) done.push(b.key);
        report.samples += samples;
        report.batches += batches.length;
      } else {
        for (const b of batches) returned.push(b.key);
        report.dropped++;
      }
      this.clock = Math.max(...replies.map((r) => r.clock));
      this.versions = replies.map((r) => r.version);
      this.loadShardValues(replies.map((r) => r.values));
    }
  }

  private async runAllreduce(report: TrainerReport): Promise<void> {
    const group = getCollectiveGroup('fleet', this);
    const params = this.named.map(([, p]) => p);
    const sizes = params.map((p) => p.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    let done: BatchKey[] = [];
    let returned: BatchKey[] = [];
    let ended = false;
    let samplesSoFar = 0;
    for (;;) {
      let batches: Fetched[] = [];
      if (!ended) {
        const got = await this.takeBatches(report, done, returned);
        done = [];
        returned = [];
        batches = got.batches;
        ended = got.ended && batches.length === 0;
      }
      // [samples-weighted gradient..., samples, samples-weighted loss, trainers with nothing left]
      const flat = new Float32Array(total + 3);
      let samples = 0;
      if (batches.length) {
        const g = await this.gradients(batches, report);
        samples = g.samples;
        let at = 0;
        for (const [name] of this.named) {
          const v = g.grads.get(name)!;
          for (let i = 0; i < v.length; i++) flat[at + i] = v[i]! * samples;
          at += v.length;
        }
        flat[total] = samples;
        flat[total + 1] = g.loss * samples;
      }
      flat[total + 2] = ended ? 1 : 0;
      const t0 = performance.now();
      const sum = await group.allreduce(flat, { op: 'sum', timeoutMs: this.config.timeoutMs });
      report.pushWaitMs += performance.now() - t0;
      const n = sum[total]!;
      if (n === 0 && sum[total + 2] === this.config.trainers) return;
      for (const b of batches) done.push(b.key);
      if (batches.length) report.trained.push({ clock: this.clock, ids: concatIds(batches) });
      report.samples += samples;
      report.batches += batches.length;
      if (n === 0) continue; // every trainer is waiting for batches held elsewhere
      let at = 0;
      params.forEach((p, i) => {
        const part = sum.subarray(at, at + sizes[i]!).map((v) => v / n);
        if (p.grad) p.grad.copyFrom(part);
        else p.grad = Tensor.from(part, p.shape, { device: p.device });
        at += sizes[i]!;
      });
      await this.allreduceOptimizer!.step();
      this.allreduceOptimizer!.zeroGrad();
      this.clock++;
      samplesSoFar += n;
      if (this.config.index === 0) {
        this.lossCurve.push([this.clock, samplesSoFar, sum[total + 1]! / n]);
        if (this.snapshots && this.clock % this.config.snapshotEvery === 0) {
          const values = new Float32Array(total);
          let o = 0;
          for (const p of params) {
            values.set(p.toFloat32Array(), o);
            o += p.size;
          }
          this.snapshots.add({ version: this.clock, values, samples: samplesSoFar });
        }
      }
    }
  }

  /** Up to `accumulate` batches from this trainer's loader (another one if it died). */
  private async takeBatches(
    report: TrainerReport,
    done: BatchKey[],
    returned: BatchKey[],
    waitForWork = false,
  ): Promise<{ batches: Fetched[]; ended: boolean }> {
    const batches: Fetched[] = [];
    const t0 = performance.now();
    const deadline = Date.now() + this.config.timeoutMs;
    let req: NextRequest = { trainer: this.config.index, done, returned };
    try {
      while (batches.length < this.config.accumulate) {
        const reply = await this.next(req);
        req = { trainer: this.config.index, done: [], returned: [] };
        if (reply.kind === 'end') return { batches, ended: true };
        if (reply.kind === 'wait') {
          if (batches.length > 0 || this.config.mode === 'bsp' || !waitForWork) return { batches, ended: false };
          if (Date.now() > deadline)
            throw new TimeoutError(
              `trainer ${this.config.index} waited ${this.config.timeoutMs} ms for a batch: the loaders had none`,
            );
          await sleep(20);
          continue;
        }
        try {
          const data = await currentCluster().get(reply.data as ObjectRef<{ x: Float32Array; y: Int32Array }>, {
            timeoutMs: this.config.timeoutMs,
          });
          const features = data.x.length / data.y.length;
          batches.push({ key: reply.key, ids: reply.ids, x: data.x, y: data.y, features });
        } catch {
          // Its loader died before the batch was read: it goes back in the queue.
          req.returned.push(reply.key);
        }
      }
      return { batches, ended: false };
    } finally {
      report.dataWaitMs += performance.now() - t0;
    }
  }

  /** `next` on this trainer's loader, moving on to the next live one when it died. */
  private async next(req: NextRequest): Promise<NextReply> {
    const loaders = this.config.loaders;
    for (;;) {
      if (this.goneLoaders.size >= loaders.length)
        throw new UnavailableError(`trainer ${this.config.index} has no data loader left: all ${loaders.length} died`);
      try {
        return await call<NextReply>(loaders[this.loader]!, 'next')(req as never);
      } catch (err) {
        if (!isDeath(err)) throw err;
        this.goneLoaders.add(this.loader);
        while (this.goneLoaders.has(this.loader) && this.goneLoaders.size < loaders.length)
          this.loader = (this.loader + 1) % loaders.length;
      }
    }
  }

  /** The accumulated gradient by parameter name, the samples-weighted mean loss and the sample count. */
  private async gradients(
    batches: Fetched[],
    report: TrainerReport,
  ): Promise<{ grads: Map<string, Float32Array>; loss: number; samples: number }> {
    const t0 = performance.now();
    const samples = batches.reduce((s, b) => s + b.y.length, 0);
    this.model.zeroGrad();
    let loss = 0;
    for (const b of batches) {
      const x = Tensor.from(b.x, [b.y.length, b.features], { device: this.config.device });
      const weight = b.y.length / samples;
      loss += (await this.computeGradients({ x, y: b.y }, weight)) * weight;
      x.free();
    }
    if (this.config.clipNorm > 0) await clipGradNorm(this.model.parameters(), this.config.clipNorm);
    const grads = new Map<string, Float32Array>();
    for (const [name, p] of this.named) grads.set(name, p.grad ? p.grad.toFloat32Array() : new Float32Array(p.size));
    const computeMs = performance.now() - t0;
    report.computeMs += computeMs;
    if (this.slowdown > 1) {
      const extra = (this.slowdown - 1) * computeMs;
      await sleep(extra);
      report.slowedMs += extra;
    }
    return { grads, loss, samples };
  }

  private async pushTo(k: number, req: PushRequest): Promise<PushReply> {
    try {
      return await call<PushReply>(this.config.shards[k]!, 'push')(req as never);
    } catch (err) {
      throw shardError(k, this.config.shards[k]!, err);
    }
  }

  private async onShards<T>(method: string, arg: () => unknown): Promise<T[]> {
    return Promise.all(
      this.config.shards.map(async (s, k) => {
        try {
          return await call<T>(s, method)(arg() as never);
        } catch (err) {
          throw shardError(k, s, err);
        }
      }),
    );
  }

  private loadShardValues(values: Float32Array[]): void {
    const full = new Map<string, Float32Array>();
    for (const { name, shape } of this.config.layout.params)
      full.set(name, new Float32Array(shape.reduce((a, b) => a * b, 1)));
    values.forEach((v, k) => scatter(this.config.layout, k, v, full));
    for (const [name, p] of this.named) p.copyFrom(full.get(name)!);
  }
}

export function makeOptimizer(model: Sequential, o: OptimizerSpec): Optimizer {
  if (o.type === 'adamw')
    return new AdamW(model.parameters(), { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
  return new SGD(model.parameters(), {
    lr: o.lr,
    momentum: o.momentum,
    nesterov: o.nesterov,
    weightDecay: o.weightDecay,
  });
}

function concatIds(batches: Fetched[]): Int32Array {
  const out = new Int32Array(batches.reduce((s, b) => s + b.ids.length, 0));
  let at = 0;
  for (const b of batches) {
    out.set(b.ids, at);
    at += b.ids.length;
  }
  return out;
}

function isDeath(err: unknown): boolean {
  return err instanceof TroupeError && (err.code === 'ACTOR_DIED' || err.code === 'UNAVAILABLE');
}

function shardError(k: number, shard: AnyHandle, err: unknown): Error {
  if (!isDeath(err)) return err as Error;
  const why = err instanceof Error ? err.message : String(err);
  return new UnavailableError(`parameter shard ${k} (actor ${shard.id}) failed: ${why}`, {
    cause: err,
    context: { shard: String(k) },
  });
}
