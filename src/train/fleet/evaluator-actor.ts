/**
 * A fleet's evaluator actor: it reads a consistent snapshot of the weights (the same version
 * from every parameter shard, or trainer 0's in 'allreduce' mode) each time a newer one is kept,
 * scores loss and accuracy on the test split, and keeps the curve. Snapshots are copies the
 * shards take on their own, so the trainers never wait for it; a slow evaluator skips the
 * versions it had no time for and reads the newest.
 */
import { InvalidArgumentError } from '../../common/index.js';
import type { ActorClassType, ActorHandle } from '../../client/index.js';
type AnyHandle = ActorHandle<ActorClassType>;
import { nativeAddon } from '../../../native/index.js';
import { softmaxCrossEntropy } from '../ops.js';
import { Tensor, type Device } from '../tensor.js';
import type { Sequential } from '../module.js';
import { buildLayers, type LayerSpec } from '../pipeline/model-spec.js';
import { scatter } from './layout.js';
import type { ParamLayout, Snapshot } from './protocol.js';

export interface EvaluatorConfig {
  index: number;
  layers: LayerSpec[];
  layout: ParamLayout;
  /** The shards to read (or, in 'allreduce' mode, trainer 0 alone, whose snapshot is the whole vector). */
  sources: AnyHandle[];
  /** True when `sources` is trainer 0 of an 'allreduce' fleet. */
  whole: boolean;
  test: { x: Float32Array; y: Int32Array; features: number };
  /** Samples per forward pass. */
  batch: number;
  threads: number;
  device: Device;
}

export interface Evaluation {
  version: number;
  /** Training samples behind the weights. */
  samples: number;
  loss: number;
  accuracy: number;
  /** When it was scored, ms after the evaluator started. */
  atMs: number;
  /** How long scoring took. */
  ms: number;
}

type Call<T> = (...args: never[]) => Promise<T>;
const call = <T>(h: AnyHandle, method: string): Call<T> =>
  (h.call as unknown as Record<string, Call<T>>)[method]!.bind(h.call);

export class Evaluator {
  private readonly model: Sequential;
  private readonly curveData: Evaluation[] = [];
  private readonly t0 = performance.now();
  private stopped = false;
  private skipped = 0;

  constructor(private readonly config: EvaluatorConfig) {
    if (config.threads > 0) nativeAddon().setThreads(config.threads);
    if (config.sources.length === 0)
      throw new InvalidArgumentError('an evaluator needs the shards to read', { context: { field: 'sources' } });
    this.model = buildLayers(config.layers, config.device);
  }

  /** Scores every newer snapshot until `stop()`; returns the curve. */
  async run(): Promise<Evaluation[]> {
    let last = 0;
    while (!this.stopped) {
      const snap = await this.consistentSnapshot(last);
      if (!snap) continue;
      const version = snap[0]!.version;
      if (last > 0 && version > last + this.interval(snap[0]!)) this.skipped++;
      last = version;
      this.curveData.push(await this.score(snap));
    }
    return this.curveData;
  }

  stop(): void {
    this.stopped = true;
  }

  curve(): { evaluations: Evaluation[]; skipped: number } {
    return { evaluations: this.curveData, skipped: this.skipped };
  }

  private snapshotEvery = 0;
  private interval(s: Snapshot): number {
    if (this.snapshotEvery === 0) this.snapshotEvery = s.version;
    return this.snapshotEvery;
  }

  /** The same version from every source, newer than `after`; null when none came within a second. */
  private async consistentSnapshot(after: number): Promise<Snapshot[] | null> {
    const first = await Promise.all(
      this.config.sources.map((s) => call<Snapshot | null>(s, 'snapshotAfter')(after as never, 1000 as never)),
    );
    if (first.some((s) => s === null)) return null;
    const target = Math.min(...first.map((s) => s!.version));
    const parts = await Promise.all(
      first.map((s, k) =>
        s!.version === target ? s : call<Snapshot | null>(this.config.sources[k]!, 'snapshotAt')(target as never),
      ),
    );
    // A source that no longer keeps the target (it moved on while we read): try again from there.
    if (parts.some((s) => s === null)) return null;
    return parts as Snapshot[];
  }

  private async score(parts: Snapshot[]): Promise<Evaluation> {
    const started = performance.now();
    const full = new Map<string, Float32Array>();
    for (const { name, shape } of this.config.layout.params)
      full.set(name, new Float32Array(shape.reduce((a, b) => a * b, 1)));
    if (this.config.whole) {
      let at = 0;
      for (const v of full.values()) {
        v.set(parts[0]!.values.subarray(at, at + v.length));
        at += v.length;
      }
    } else parts.forEach((p, k) => scatter(this.config.layout, k, p.values, full));
    this.model.loadParameters(full);
    const { x, y, features } = this.config.test;
    let right = 0;
    let lossSum = 0;
    for (let at = 0; at < y.length; at += this.config.batch) {
      const n = Math.min(this.config.batch, y.length - at);
      const input = Tensor.from(x.subarray(at * features, (at + n) * features).slice(), [n, features], {
        device: this.config.device,
      });
      const out = await this.model.forward(input);
      const labels = y.subarray(at, at + n);
      const l = await softmaxCrossEntropy(out, labels.slice());
      lossSum += l.item() * n;
      const logits = out.toFloat32Array();
      const k = logits.length / n;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < k; c++) if (logits[i * k + c]! > logits[i * k + best]!) best = c;
        if (best === labels[i]) right++;
      }
      for (const t of [input, out, l]) t.free();
    }
    return {
      version: parts[0]!.version,
      samples: parts[0]!.samples,
      loss: lossSum / y.length,
      accuracy: right / y.length,
      atMs: started - this.t0,
      ms: performance.now() - started,
    };
  }
}
