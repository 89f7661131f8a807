/**
 * @module The training loop, one for every method. It seeds every stream,
 * accumulates gradients over micro-batches, clips, steps the optimizer and the
 * scheduler, evaluates, stops early, guards against NaN/Inf, saves atomic
 * checkpoints, resumes bit-identically and stops cleanly on SIGINT/SIGTERM.
 * Each micro-batch runs inside torch.tidy and the loop yields to the event
 * loop between batches, so finalizers run and signals are seen.
 */
import { join } from 'node:path';
import * as torch from '../core/torch.js';
import { ConfigError } from '../core/errors.js';
import type { Optimizer, ParamGroup } from '../core/optim/optimizer.js';
import type { LRScheduler } from '../core/optim/lr_scheduler.js';
import { Rng } from '../core/rng.js';
import { autocast, GradScaler, type AutocastDevice } from '../core/amp.js';
import { buildOptimizer, buildScheduler } from './build.js';
import { CheckpointReader } from './checkpoint.js';
import { Checkpoints } from './checkpoints.js';
import { configHash, makeConfig, type TrainConfig } from './config.js';
import { clipGradNorm_, gradNorm, MetricMonitor, NonFiniteError } from './guards.js';
import { collectVersions, RunDir, type Versions } from './rundir.js';
import { exitCodeForSignal, SignalTrap } from './signals.js';
import { tensorboardListener } from './tensorboard.js';
import { collect, restore, type LoopState, type RunParts } from './state.js';
import type { BatchSource, StepContext, Task } from './task.js';
import { DataParallel, dataParallelOptions, rankStepSeed } from './distributed.js';
import type { TrainEvent, TrainOptions, TrainResult, TrainStatus } from './events.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs one training run; single use. */
export class Trainer<B> {
  readonly config: TrainConfig;
  readonly run: RunDir;
  readonly checkpoints: Checkpoints;
  optimizer: Optimizer<ParamGroup> | null = null;
  scheduler: LRScheduler | null = null;
  #st: LoopState = { step: 0, epoch: 0, skipped: 0, consecutiveSkips: 0, early: null, best: null, lastEval: null };
  #stop: string | null = null;
  #trap: SignalTrap | null = null;
  #early: MetricMonitor | null = null;
  #best: MetricMonitor | null = null;
  #improvedAt = -1;
  #lastCheckpoint: string | null = null;
  #window: number[] = [];
  #stepsPerEpoch = 0;
  #versions: Versions;
  /** Data-parallel hooks (src/train/distributed.ts): on when a process group has several ranks. */
  readonly #dp: DataParallel | null;
  /** The batches this process trains on (its shard under data parallelism). */
  readonly #data: BatchSource<B>;
  /** Whether this process writes run files and emits events (rank 0 only under data parallelism). */
  readonly #w: boolean;
  #agreedStop = false;
  /** Mixed precision (config.precision): the autocast device and dtype of the forward passes, and fp16's loss scaler. */
  #amp: { device: AutocastDevice; dtype: 'bfloat16' | 'float16' } | null = null;
  #scaler: GradScaler | null = null;

  constructor(readonly task: Task<B>, config: TrainConfig<object>, readonly o: TrainOptions<B>) {
    this.config = makeConfig(config);
    this.#dp = o.parallel === false ? null : DataParallel.fromProcessGroup(dataParallelOptions(this.config.parallel, o.parallel));
    this.#data = this.#dp ? this.#dp.shard(o.data) : o.data;
    this.#w = this.#dp?.writer ?? true;
    this.run = new RunDir(o.runDir);
    this.checkpoints = new Checkpoints(this.run.checkpointsDir);
    this.#versions = collectVersions();
    const { earlyStop: es, checkpoint: ck } = this.config;
    if (es.metric) this.#early = new MetricMonitor(es.metric, es.mode, es.minDelta);
    const mon = ck.monitor ?? es.metric;
    if (mon) this.#best = new MetricMonitor(mon, ck.monitor ? ck.mode : es.mode, 0);
  }

  /** Train or eval mode, through the task's hook when it has one. */
  #mode(training: boolean): void {
    if (this.task.setTrainMode) this.task.setTrainMode(training);
    else if (training) this.task.model.train();
    else this.task.model.eval();
  }

  /** Autocast settings from config.precision; fp16 needs the model on CUDA and gets a GradScaler. */
  #setupPrecision(): void {
    const p = this.config.precision;
    if (p === 'fp32') return;
    const first = this.task.model.parameters()[0];
    const device: AutocastDevice = first?.device.startsWith('cuda') ? 'cuda' : 'cpu';
    if (p === 'fp16' && device !== 'cuda') {
      throw new ConfigError(`config field 'precision' is 'fp16', which needs the model on CUDA (libtorch's CPU autocast has bfloat16 only); use 'bf16' on the CPU`);
    }
    this.#amp = { device, dtype: p === 'fp16' ? 'float16' : 'bfloat16' };
    if (p === 'fp16') this.#scaler = new GradScaler();
  }

  /** The task's loss, its forward under autocast when the run is in mixed precision. */
  #loss(batch: B, ctx: StepContext): ReturnType<Task<B>['loss']> {
    const a = this.#amp;
    return a ? autocast(a.device, () => this.task.loss(batch, ctx), { dtype: a.dtype }) : this.task.loss(batch, ctx);
  }

  /** Asks the loop to finish the current step, save a checkpoint and return (as a signal does). */
  requestStop(reason = 'requested'): void { this.#stop ??= reason; }

  #tb: ((e: TrainEvent) => void) | null | undefined;
  #emit(e: TrainEvent): void {
    if (!this.#w) return;
    // TensorBoard event files next to metrics.jsonl (log.tensorboard), opened on the first event.
    if (this.#tb === undefined) this.#tb = this.config.log.tensorboard ? tensorboardListener(join(this.run.dir, 'tensorboard')) : null;
    this.#tb?.(e);
    this.o.onEvent?.(e);
  }

  /** Trains until the epochs/steps are done, early stopping, a stop request or a signal. */
  async train(): Promise<TrainResult> {
    const c = this.config;
    const src = this.#data;
    const n = src.numBatches;
    if (!Number.isInteger(n) || n < 1) throw new ConfigError(`the data source has ${n} batches per epoch; it needs at least 1`);
    if (this.#w) this.checkpoints.cleanStale();
    const opt = (this.optimizer = buildOptimizer(this.task.paramGroups(), c.optim));
    this.#setupPrecision();
    const stepsPerEpoch = Math.ceil(n / c.accumulate);
    this.#stepsPerEpoch = stepsPerEpoch;
    const total = c.maxSteps ?? c.epochs * stepsPerEpoch; // maxSteps overrides epochs (HF's max_steps)
    const length = { totalSteps: total, stepsPerEpoch, epochs: Math.ceil(total / stepsPerEpoch) };
    this.scheduler = this.o.scheduler ? this.o.scheduler(opt, length) : buildScheduler(opt, c.scheduler, length);
    const parts: RunParts<B> = { task: this.task, optimizer: opt, scheduler: this.scheduler, source: src, config: c, versions: this.#versions, extend: this.o.extend ?? false };
    let resumedFrom: string | null = null;
    const onAbort = (): void => this.requestStop('aborted');
    let begun = false; // a failure before the run starts leaves the directory's summary alone
    const started = Date.now();
    try {
      if (this.o.resume) {
        const dir = typeof this.o.resume === 'string' ? this.o.resume : this.#latest();
        this.#st = restore(new CheckpointReader(dir), parts, (m) => this.#emit({ type: 'warning', message: m }));
        this.#early?.load(this.#st.early ?? undefined);
        this.#best?.load(this.#st.best ?? undefined);
        if (this.#scaler && this.#st.lossScale) this.#scaler.loadStateDict(this.#st.lossScale);
        if (this.#w) this.run.metrics.truncateAfter(this.#st.step);
        resumedFrom = dir;
      } else {
        if (this.checkpoints.list().length) throw new ConfigError(`${this.run.dir} already has checkpoints; resume it or choose a new run directory`);
        torch.manualSeed(c.seed);
        src.load({ epoch: 0, index: 0, seed: c.seed });
        if (this.#w) this.run.writeConfig(c);
        if (this.#w) this.run.writeRunInfo({
          method: this.task.name, seed: c.seed, configHash: configHash(c), versions: this.#versions, started: new Date(started).toISOString(),
          streams: this.#dp
            ? { torch_cpu: `per rank r and step: manualSeed(rankStepSeed(${c.seed}, r, step)) (${this.#dp.worldSize} ranks)`, data: `loader seed ${c.seed} (shuffle/augment streams derived per epoch and global batch index; rank r takes batches r, r+W, ...)`, js_task: `Rng.derive(${c.seed}, 'task', step, micro, 'rank', r)`, cuda: 'not seeded separately (CPU run; manualSeed also seeds CUDA)' }
            : { torch_cpu: `manualSeed(${c.seed})`, data: `loader seed ${c.seed} (shuffle/augment streams derived per epoch and batch)`, js_task: `Rng.derive(${c.seed}, 'task', step, micro)`, cuda: 'not seeded separately (CPU run; manualSeed also seeds CUDA)' },
        });
      }
      begun = this.#w;
      await this.#dp?.start(this.task.model, opt.paramGroups.flatMap((g) => g.params));
      if (this.o.handleSignals ?? true) this.#trap = new SignalTrap().install();
      if (this.o.signal?.aborted) this.requestStop('aborted');
      this.o.signal?.addEventListener('abort', onAbort);
      this.#mode(true);
      this.#emit({ type: 'start', step: this.#st.step, totalSteps: total, epoch: this.#st.epoch, epochs: Math.ceil(total / stepsPerEpoch), stepsPerEpoch, resumedFrom, runDir: this.run.dir,
        parallel: this.#dp ? { worldSize: this.#dp.worldSize, overlap: this.#dp.overlap, syncBatchNorm: this.#dp.syncBatchNorm, bucketMb: this.#dp.bucketBytes / 2 ** 20, buffers: this.#dp.buffers } : null });
      const status = await this.#loop(total);
      const result = this.#result(status);
      if (this.#w) this.run.writeSummary({ ...result, totalSteps: total, resumedFrom, elapsedSec: (Date.now() - started) / 1000, finished: new Date().toISOString() });
      this.#emit({ type: 'end', status, step: this.#st.step, epoch: this.#st.epoch, elapsedMs: Date.now() - started, best: result.best });
      return result;
    } catch (e) {
      if (begun) this.run.writeSummary({ ...this.#result('failed'), error: `${(e as Error).name}: ${(e as Error).message}`, resumedFrom, elapsedSec: (Date.now() - started) / 1000 });
      throw e;
    } finally {
      this.#trap?.uninstall();
      this.o.signal?.removeEventListener('abort', onAbort);
      this.run.metrics.close();
      this.#dp?.dispose(); // the gradient hooks (re-installed should train() run again)
      opt.dispose();
    }
  }

  #latest(): string {
    const l = this.checkpoints.latest();
    if (l.fellBack) this.#emit({ type: 'warning', message: `resuming from ${l.dir}; newer checkpoints failed their check: ${l.problems.join('; ')}` });
    return l.dir;
  }

  #result(status: TrainStatus): TrainResult {
    const b = this.#best;
    return {
      status, step: this.#st.step, epoch: this.#st.epoch, epochsRun: this.#stepsPerEpoch ? this.#st.step / this.#stepsPerEpoch : this.#st.epoch,
      signal: this.#trap?.received ?? null,
      exitCode: status === 'interrupted' ? exitCodeForSignal(this.#trap?.received ?? null) : status === 'failed' ? 1 : 0,
      lastCheckpoint: this.#lastCheckpoint, lastEval: this.#st.lastEval, skippedSteps: this.#st.skipped, runDir: this.run.dir,
      best: b && b.best !== null ? { metric: b.metric, value: b.best, step: b.bestStep! } : null,
    };
  }

  #ctx(batchIndex: number, micro: number, cycleLength: number): StepContext {
    const { seed } = this.config;
    const step = this.#st.step;
    const dp = this.#dp;
    let rng: Rng | null = null;
    return {
      step, epoch: this.#st.epoch, batchIndex, micro, cycleLength, config: this.config, optimizer: this.optimizer!,
      get rng(): Rng { return (rng ??= dp ? Rng.derive(seed, 'task', step, micro, 'rank', dp.rank) : Rng.derive(seed, 'task', step, micro)); },
    };
  }

  async #loop(total: number): Promise<TrainStatus> {
    const c = this.config;
    const src = this.#data;
    const opt = this.optimizer!;
    const st = this.#st;
    const k = c.accumulate;
    const n = src.numBatches;
    const params = opt.paramGroups.flatMap((g) => g.params);
    for (;;) {
      if (st.step >= total) return 'completed';
      let i = src.state().index;
      let sum = 0;
      let count = 0;
      let bad: string | null = null;
      const partSums: Record<string, number> = {};
      for await (const batch of src as AsyncIterable<B>) {
        const start = i - (i % k);
        const len = Math.min(k, n - start);
        const micro = i - start;
        try {
          if (!bad) {
            // data-parallel: each rank its own libtorch stream (dropout masks for its own examples), reseeded at a
            // step's first micro-batch from (seed, rank, step), so a resumed run draws what it would have
            if (this.#dp && micro === 0) torch.manualSeed(rankStepSeed(c.seed, this.#dp.rank, st.step));
            const ctx = this.#ctx(i, micro, len);
            const r = torch.tidy(() => {
              const out = this.#loss(batch, ctx);
              const loss = Number(out.loss.item());
              if (!Number.isFinite(loss)) return { loss, parts: {} as Record<string, number> };
              const l = len === 1 ? out.loss : out.loss.div(len);
              const backward = (): void => (this.#scaler ? this.#scaler.scaleLoss(l) : l).backward();
              // data-parallel: the cycle's last backward starts the gradient all-reduces as buckets become ready
              if (this.#dp && micro === len - 1) this.#dp.backward(params, backward, l);
              else backward();
              const parts: Record<string, number> = {};
              for (const [name, v] of Object.entries(out.parts ?? {})) parts[name] = typeof v === 'number' ? v : Number(v.item());
              return { loss, parts };
            });
            if (!Number.isFinite(r.loss)) bad = `loss is ${r.loss}`;
            else {
              sum += r.loss;
              count++;
              for (const [name, v] of Object.entries(r.parts)) partSums[name] = (partSums[name] ?? 0) + v;
            }
          }
        } finally {
          torch.dispose(batch);
        }
        i++;
        if (bad && c.guard.nonFinite === 'stop') {
          opt.zeroGrad();
          throw new NonFiniteError(`non-finite value at step ${st.step + 1} (epoch ${st.epoch}, batch ${i - 1}): ${bad}; stopped before the optimizer step, no checkpoint written (guard.nonFinite='skip' skips such steps)`, st.step + 1, 'loss');
        }
        if (micro !== len - 1) { await tick(); continue; }
        if (this.#dp) {
          const a = await this.#dp.reduce(params, { bad, stop: (this.#stop ?? this.#trap?.received ?? null) !== null, lossSum: sum, count });
          [bad, sum, count, this.#agreedStop] = [a.bad, a.lossSum, a.count, a.stop];
        }

        let norm: number | null = null;
        // fp16: gradients back to their true scale; an overflow skips the step and lowers the scale (not a guard event)
        this.#scaler?.unscale_(opt);
        const overflow = !bad && (this.#scaler?.foundInf ?? false);
        let stepParts: Record<string, number> = {};
        if (!bad && !overflow) {
          stepParts = this.task.beforeStep?.(this.#ctx(i - 1, micro, len)) ?? {};
          norm = c.clipGradNorm !== null ? clipGradNorm_(params, c.clipGradNorm) : gradNorm(params);
          if (!Number.isFinite(norm)) bad = `gradient norm is ${norm}`;
        }
        if (bad) {
          opt.zeroGrad();
          if (c.guard.nonFinite === 'stop') throw new NonFiniteError(`non-finite value at step ${st.step + 1}: ${bad}; stopped before the optimizer step, no checkpoint written`, st.step + 1, 'gradient');
          st.skipped++;
          st.consecutiveSkips++;
          this.#emit({ type: 'warning', message: `step ${st.step + 1} skipped: ${bad}` });
          if (st.consecutiveSkips > c.guard.maxSkips) throw new NonFiniteError(`${st.consecutiveSkips} consecutive steps had non-finite values (guard.maxSkips=${c.guard.maxSkips}); last: ${bad}`, st.step + 1, 'loss');
        } else if (overflow) {
          opt.zeroGrad();
          this.#emit({ type: 'warning', message: `step ${st.step + 1}: fp16 gradients overflowed at loss scale ${this.#scaler!.scale}; step skipped, scale lowered` });
        } else {
          opt.step();
          opt.zeroGrad();
          st.consecutiveSkips = 0;
        }
        this.#scaler?.update();
        st.step++;
        const usedLr = opt.paramGroups[0]!.lr; // logged: the lr this step used, not the next one
        if (this.scheduler && c.scheduler.interval === 'step') this.scheduler.step();
        if (!bad && !overflow) this.task.afterStep?.(this.#ctx(i - 1, micro, len));
        this.#logStep(bad ? null : sum / count, norm, bad !== null, partSums, count, total, usedLr, stepParts);
        sum = 0; count = 0; bad = null;
        for (const key of Object.keys(partSums)) delete partSums[key];

        let evaluated = false;
        if (c.eval.every > 0 && st.step % c.eval.every === 0) { await this.#evaluate(i - 1); evaluated = true; }
        const epochEnd = i === n;
        if (epochEnd) {
          const ended = this.#ctx(i - 1, micro, len); // ctx.epoch: the epoch that ended
          st.epoch++;
          await this.task.onEpochEnd?.(ended);
          if (c.eval.atEpochEnd && !evaluated) { await this.#evaluate(i - 1); evaluated = true; }
          if (this.scheduler && c.scheduler.interval === 'epoch') this.scheduler.step();
        }
        // the final weights are always a candidate for the monitor when evaluation is on
        if (c.eval.atEnd && !evaluated && st.step >= total && (c.eval.every > 0 || c.eval.atEpochEnd)) { await this.#evaluate(i - 1); evaluated = true; }
        await tick(); // lets pending signal handlers run before the stop decision
        const improved = this.#improvedAt === st.step;
        const early = this.#early !== null && this.#early.bad >= c.earlyStop.patience;
        const stop = this.#dp && !this.#agreedStop ? null : this.#stop ?? (this.#trap?.received ? 'signal' : this.#dp ? 'requested on another rank' : null);
        const done = st.step >= total;
        const periodic = (c.checkpoint.every > 0 && st.step % c.checkpoint.every === 0) || (epochEnd && c.checkpoint.atEpochEnd);
        if (periodic || improved || stop || early || done) {
          await this.#dp?.syncBuffers(this.task.model);
          if (this.#w) this.#save(improved);
        }
        if (stop) return this.#trap?.received ? 'interrupted' : 'stopped';
        if (early) return 'early-stopped';
        if (done) return 'completed';
      }
    }
  }

  #logStep(loss: number | null, gradNormValue: number | null, skipped: boolean, parts: Record<string, number>, count: number, total: number, lr: number, stepParts: Record<string, number>): void {
    const st = this.#st;
    if (loss !== null) { this.#window.push(loss); if (this.#window.length > 50) this.#window.shift(); }
    const running = this.#window.length ? this.#window.reduce((a, b) => a + b, 0) / this.#window.length : null;
    // every log.every steps, and always the final step (a run shorter than log.every still leaves its metrics)
    if ((st.step % this.config.log.every === 0 || st.step >= total) && this.#w) {
      const avgParts = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, v / Math.max(1, count)]));
      this.run.metrics.append({ split: 'train', step: st.step, epoch: st.epoch, loss, lr, gradNorm: gradNormValue, ...(skipped ? { skipped: true } : {}), ...avgParts, ...stepParts, time: Date.now() / 1000 });
    }
    this.#emit({ type: 'step', step: st.step, totalSteps: total, epoch: st.epoch, loss, runningLoss: running, lr, gradNorm: gradNormValue, skipped });
  }

  async #evaluate(batchIndex: number): Promise<void> {
    if (!this.task.evaluate) return;
    await this.#dp?.syncBuffers(this.task.model);
    const st = this.#st;
    const rng = torch.getRngState();
    const grad = torch.isGradEnabled();
    this.#mode(false);
    torch.setGradEnabled(false);
    let m: Record<string, number>;
    try {
      m = await this.task.evaluate(this.#ctx(batchIndex, 0, 1));
    } finally {
      torch.setGradEnabled(grad);
      this.#mode(true);
      torch.setRngState(rng); // evaluation never shifts the training stream
      rng.dispose();
    }
    st.lastEval = { ...m };
    if (this.#w) this.run.metrics.append({ split: 'eval', step: st.step, epoch: st.epoch, ...m, time: Date.now() / 1000 });
    this.#emit({ type: 'eval', step: st.step, epoch: st.epoch, metrics: { ...m } });
    const value = (mon: MetricMonitor, field: string): number => {
      const v = m[mon.metric];
      if (typeof v !== 'number') throw new ConfigError(`${field} '${mon.metric}' is not among the metrics evaluate() returned (${Object.keys(m).join(', ') || 'none'})`);
      return v;
    };
    if (this.#early) { this.#early.update(value(this.#early, 'earlyStop.metric'), st.step); st.early = this.#early.state(); }
    if (this.#best) {
      if (this.#best.update(value(this.#best, 'checkpoint.monitor'), st.step)) this.#improvedAt = st.step;
      st.best = this.#best.state();
    }
  }

  #save(best: boolean): void {
    const parts = { task: this.task, optimizer: this.optimizer!, scheduler: this.scheduler, source: this.#data, config: this.config, versions: this.#versions };
    this.#st.lossScale = this.#scaler?.stateDict() ?? null;
    const { content, release } = collect(parts, this.#st);
    try {
      this.run.metrics.flush();
      const b = best && this.#best ? { metric: this.#best.metric, value: this.#best.best! } : null;
      this.#lastCheckpoint = this.checkpoints.save(this.#st.step, content, { keep: this.config.checkpoint.keep, best: b, onPhase: this.o.onCheckpointPhase });
      this.#emit({ type: 'checkpoint', step: this.#st.step, path: this.#lastCheckpoint, best });
    } finally {
      release();
    }
  }
}
