/**
 * A parameter-shard actor: its contiguous part of the model's flat parameter vector (one native
 * Parameter per slice), the optimizer run here on the native core as in a parameter server with
 * a server-side optimizer (SGD with momentum or AdamW, elementwise, so a split model trains as
 * the whole one), a version clock, the update policy (`consistency.ts`) deciding when a push is
 * applied and answered, and the snapshots evaluators read (copies, taken without pausing pushes).
 * Every request comes off the wire and is checked here before it touches anything.
 */
import { InvalidArgumentError } from '../../common/index.js';
import { nativeAddon } from '../../../native/index.js';
import { AdamW, SGD, type Optimizer } from '../optim.js';
import { Parameter, Tensor } from '../tensor.js';
import { Consistency, type Update } from './consistency.js';
import type { JoinReply, PushReply, PushRequest, ShardConfig, ShardStats, Snapshot } from './protocol.js';
import { SnapshotRing } from './snapshot-ring.js';

export class ParameterShard {
  private readonly params: Parameter[];
  private readonly optimizer: Optimizer;
  private readonly policy: Consistency;
  private readonly snapshots = new SnapshotRing(3);
  private readonly length: number;

  constructor(private readonly config: ShardConfig) {
    if (config.threads > 0) nativeAddon().setThreads(config.threads);
    const values = config.values;
    this.length = config.slices.reduce((s, x) => s + x.length, 0);
    if (!(values instanceof Float32Array) || values.length !== this.length)
      throw new InvalidArgumentError(
        `shard ${config.index} holds ${this.length} values but was given ${values?.length ?? 'none'}`,
        { context: { field: 'values' } },
      );
    let at = 0;
    this.params = config.slices.map((s) => {
      const p = new Parameter(Tensor.from(values.subarray(at, at + s.length).slice(), [s.length]));
      at += s.length;
      return p;
    });
    config.values = new Float32Array(0);
    const o = config.optimizer;
    this.optimizer =
      o.type === 'adamw'
        ? new AdamW(this.params, { lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay })
        : new SGD(this.params, { lr: o.lr, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay });
    this.policy = new Consistency(config.policy, config.trainers, config.timeoutMs, (u) => this.apply(u));
  }

  join(trainer: number): JoinReply {
    this.checkTrainer(trainer);
    const { clock, version } = this.policy.join(trainer);
    return { clock, version, values: this.weights() };
  }

  leave(trainer: number): void {
    this.checkTrainer(trainer);
    this.policy.leave(trainer);
  }

  async push(req: PushRequest): Promise<PushReply> {
    this.checkPush(req);
    const out = await this.policy.push(req);
    return { ...out, values: this.weights() };
  }

  snapshotAfter(version: number, timeoutMs: number): Promise<Snapshot | null> {
    checkCount(version, 'version');
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0) || timeoutMs > 600_000)
      throw new InvalidArgumentError(`timeoutMs must be a number in 0..600000, got ${JSON.stringify(timeoutMs)}`, {
        context: { field: 'timeoutMs' },
      });
    return this.snapshots.after(version, timeoutMs);
  }

  snapshotAt(version: number): Snapshot | null {
    checkCount(version, 'version');
    return this.snapshots.at(version);
  }

  /** The shard's vector now. */
  weights(): Float32Array {
    const out = new Float32Array(this.length);
    let at = 0;
    for (const p of this.params) {
      out.set(p.toFloat32Array(), at);
      at += p.size;
    }
    return out;
  }

  stats(): ShardStats {
    const c = this.policy;
    return {
      index: this.config.index,
      version: c.version,
      samples: c.samples,
      clocks: [...c.clocks],
      active: [...c.active].sort((a, b) => a - b),
      staleness: [...c.staleness].map((n) => n ?? 0),
      waitMs: [...c.waitMs],
      waits: [...c.waits],
      reads: c.reads,
      losses: c.losses,
      dropped: c.dropped,
    };
  }

  private async apply(u: Update): Promise<void> {
    let at = 0;
    for (const p of this.params) {
      const part = u.grad.subarray(at, at + p.size);
      if (p.grad) p.grad.copyFrom(part);
      else p.grad = Tensor.from(part.slice(), p.shape);
      at += p.size;
    }
    await this.optimizer.step();
    this.optimizer.zeroGrad();
    const v = this.policy.version + 1;
    if (this.config.snapshotEvery > 0 && v % this.config.snapshotEvery === 0)
      this.snapshots.add({ version: v, values: this.weights(), samples: this.policy.samples + u.samples });
  }

  private checkTrainer(t: unknown): void {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t >= this.config.trainers)
      throw new InvalidArgumentError(
        `trainer must be an integer in 0..${this.config.trainers - 1}, got ${JSON.stringify(t)}`,
        { context: { field: 'trainer' } },
      );
  }

  private checkPush(req: PushRequest): void {
    if (typeof req !== 'object' || req === null)
      throw new InvalidArgumentError('a push must be an object', { context: { field: 'push' } });
    this.checkTrainer(req.trainer);
    checkCount(req.clock, 'clock');
    checkCount(req.readVersion, 'readVersion');
    checkCount(req.samples, 'samples');
    if (!(req.grad instanceof Float32Array) || req.grad.length !== this.length)
      throw new InvalidArgumentError(
        `grad must be a Float32Array of this shard's ${this.length} values, got ${req.grad instanceof Float32Array ? req.grad.length : typeof req.grad}`,
        { context: { field: 'grad', trainer: String(req.trainer) } },
      );
    for (let i = 0; i < req.grad.length; i++)
      if (!Number.isFinite(req.grad[i]!))
        throw new InvalidArgumentError(
          `trainer ${req.trainer}'s gradient has a non-finite value (${req.grad[i]}) at element ${i}`,
          { context: { field: 'grad', trainer: String(req.trainer) } },
        );
    if (typeof req.loss !== 'number')
      throw new InvalidArgumentError('loss must be a number', { context: { field: 'loss' } });
  }
}

function checkCount(v: unknown, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw new InvalidArgumentError(`${name} must be an integer >= 0, got ${JSON.stringify(v)}`, {
      context: { field: name },
    });
}
