/**
 * @module What a checkpoint captures of a run and how it is put back: model
 * weights, optimizer state (tensors + JSON), scheduler state, libtorch's CPU
 * generator state (a uint8 tensor in rng.safetensors), the data position, the
 * loop counters and monitors, the task's own state, and provenance (method,
 * config and its hash, versions) checked on resume (R15).
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { CheckpointError } from '../core/errors.js';
import { joinStateDict, splitStateDict, type Optimizer, type OptimizerStateMeta, type ParamGroup } from '../core/optim/optimizer.js';
import type { LRScheduler, SchedulerStateDict } from '../core/optim/lr_scheduler.js';
import { configDiff, configHash, type TrainConfig } from './config.js';
import type { CheckpointContent, CheckpointReader } from './checkpoint.js';
import { firstNonFinite, NonFiniteError } from './guards.js';
import type { Versions } from './rundir.js';
import type { BatchSource, SourceState, Task } from './task.js';

/** Counters and monitors of the loop (JSON). */
export interface LoopState {
  step: number;
  epoch: number;
  skipped: number;
  consecutiveSkips: number;
  early: { best: number | null; bestStep: number | null; bad: number } | null;
  best: { best: number | null; bestStep: number | null; bad: number } | null;
  lastEval: Record<string, number> | null;
  /** fp16 loss scaling (GradScaler state; absent in checkpoints of other precisions and of older runs). */
  lossScale?: { scale: number; growthTracker: number } | null;
}

/** state.json. */
export interface TrainerStateJson {
  format: 'adaptune.trainer-state';
  version: 1;
  step: number;
  epoch: number;
  method: string;
  seed: number;
  configHash: string;
  config: TrainConfig;
  versions: Versions;
  source: SourceState;
  scheduler: SchedulerStateDict | null;
  rng: { torch: string; js: { kind: 'derived'; seed: number; keys: string } };
  loop: LoopState;
  task: unknown;
}

/** The parts of a run that a checkpoint covers. */
export interface RunParts<B> {
  task: Task<B>;
  optimizer: Optimizer<ParamGroup>;
  scheduler: LRScheduler | null;
  source: BatchSource<B>;
  config: TrainConfig;
  versions: Versions;
  /** Accept differences in epochs/maxSteps only (an explicit extension; TrainOptions.extend). */
  extend?: boolean;
}

/**
 * Collects a checkpoint's content and checks that every tensor is finite
 * (NonFiniteError naming the tensor otherwise: no checkpoint with NaN/Inf is
 * ever written, R8). Call release() after saving.
 */
export function collect<B>(p: RunParts<B>, loop: LoopState): { content: CheckpointContent; release: () => void } {
  const owned: Tensor[] = [];
  try {
    const sd = p.optimizer.stateDict();
    const split = splitStateDict(sd);
    owned.push(...split.tensors.values());
    const rng = torch.getRngState();
    owned.push(rng);
    const model = p.task.model.stateDict();
    const ts = p.task.stateDict?.() ?? null;
    const bad = firstNonFinite([
      ...[...model].map(([k, t]): [string, Tensor] => [`model.${k}`, t]),
      ...[...split.tensors].map(([k, t]): [string, Tensor] => [`optimizer.${k}`, t]),
      ...[...(ts?.tensors ?? [])].map(([k, t]): [string, Tensor] => [`task.${k}`, t]),
    ]);
    if (bad) throw new NonFiniteError(`refusing to write a checkpoint at step ${loop.step}: ${bad} has NaN or Inf values`, loop.step, bad);
    const state: TrainerStateJson = {
      format: 'adaptune.trainer-state', version: 1, step: loop.step, epoch: loop.epoch, method: p.task.name,
      seed: p.config.seed, configHash: configHash(p.config), config: p.config, versions: p.versions,
      source: p.source.state(), scheduler: p.scheduler?.stateDict() ?? null,
      rng: { torch: 'rng.safetensors:torch_cpu', js: { kind: 'derived', seed: p.config.seed, keys: "Rng.derive(seed, 'task', step, micro)" } },
      loop: structuredClone(loop), task: ts?.json ?? null,
    };
    const content: CheckpointContent = {
      tensors: { model, optimizer: split.tensors, rng: new Map([['torch_cpu', rng]]), ...(ts ? { task: ts.tensors } : {}) },
      json: { optimizer: split.meta, state },
    };
    return { content, release: () => { for (const t of owned) t.dispose(); } };
  } catch (e) {
    for (const t of owned) t.dispose();
    throw e;
  }
}

/**
 * Restores a run from a verified checkpoint. Provenance mismatches (method,
 * binding config fields, libtorch version) throw CheckpointError naming each
 * one, or go to `warn` with resume.onMismatch 'warn'. A model whose tensor
 * names or shapes differ always throws, naming the tensor.
 */
export function restore<B>(r: CheckpointReader, p: RunParts<B>, warn: (msg: string) => void): LoopState {
  const s = r.json<TrainerStateJson>('state');
  if (s?.format !== 'adaptune.trainer-state' || s.version !== 1) throw new CheckpointError(`${r.dir}/state.json: not an adaptune trainer state (version 1)`);
  const mism: string[] = [];
  if (s.method !== p.task.name) mism.push(`method: checkpoint '${s.method}', now '${p.task.name}'`);
  const extendable = (d: string): boolean => p.extend === true && /^(epochs|maxSteps): /.test(d);
  if (s.configHash !== configHash(p.config)) mism.push(...configDiff(s.config, p.config).filter((d) => !extendable(d)).map((d) => `config ${d}`));
  if (s.versions?.libtorch !== p.versions.libtorch) mism.push(`libtorch: checkpoint ${s.versions?.libtorch}, now ${p.versions.libtorch}`);
  if (mism.length) {
    const msg = `${r.dir} does not match this run: ${mism.join('; ')}`;
    if (p.config.resume.onMismatch === 'refuse') throw new CheckpointError(`${msg} (set resume.onMismatch='warn' to resume anyway)`);
    warn(msg);
  }
  checkModelShapes(r, p.task);
  const loaded: Tensor[] = [];
  try {
    const model = r.tensors('model');
    loaded.push(...model.values());
    const bad = firstNonFinite(model);
    if (bad) {
      const msg = `${r.dir}/model.safetensors: '${bad}' has NaN or Inf values`;
      if (p.config.guard.onLoad === 'refuse') throw new CheckpointError(`${msg} (set guard.onLoad='warn' to load it anyway)`);
      warn(msg);
    }
    p.task.model.loadStateDict(model);
    const opt = r.tensors('optimizer');
    loaded.push(...opt.values());
    p.optimizer.loadStateDict(joinStateDict(opt, r.json<OptimizerStateMeta>('optimizer')));
    if (p.scheduler && s.scheduler) p.scheduler.loadStateDict(s.scheduler);
    else if (!!p.scheduler !== !!s.scheduler) throw new CheckpointError(`${r.dir}: scheduler state ${s.scheduler ? 'present' : 'absent'} but this run ${p.scheduler ? 'has' : 'has no'} scheduler`);
    const rng = r.tensors('rng');
    loaded.push(...rng.values());
    const gen = rng.get('torch_cpu');
    if (!gen || gen.dtype !== 'uint8') throw new CheckpointError(`${r.dir}/rng.safetensors: no uint8 tensor 'torch_cpu'`);
    torch.setRngState(gen);
    if (p.task.loadStateDict) {
      if (!r.has('task.safetensors')) throw new CheckpointError(`${r.dir}: the task '${p.task.name}' has state but the checkpoint has no task.safetensors`);
      const tt = r.tensors('task');
      loaded.push(...tt.values());
      p.task.loadStateDict({ tensors: tt, json: s.task });
    }
    p.source.load(s.source);
  } finally {
    for (const t of loaded) t.dispose();
  }
  return structuredClone(s.loop);
}

/** Throws CheckpointError naming the first tensor whose name or shape differs between checkpoint and model. */
function checkModelShapes<B>(r: CheckpointReader, task: Task<B>): void {
  const hdr = r.header('model').tensors;
  const own = task.model.stateDict();
  for (const [k, t] of own) {
    const h = hdr.get(k);
    if (!h) throw new CheckpointError(`${r.dir}/model.safetensors: the model has '${k}' but the checkpoint does not`);
    if (h.shape.length !== t.shape.length || h.shape.some((d, i) => d !== t.shape[i])) {
      throw new CheckpointError(`${r.dir}/model.safetensors: '${k}' has shape [${h.shape.join(', ')}] in the checkpoint, the model has [${t.shape.join(', ')}]`);
    }
  }
  for (const k of hdr.keys()) if (!own.has(k)) throw new CheckpointError(`${r.dir}/model.safetensors: the checkpoint has '${k}', which the model does not`);
}
