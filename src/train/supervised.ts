/** @module The start of a supervised run on a benchmark task shared by the run functions: the task, the pre-trained weights (head sized for the task), the run directory and the loaders, in that order (a bad task or weights file leaves no run directory behind). */
import * as torch from '../core/torch.js';
import { loadTask, taskLoaders, type BenchmarkTask, type DataLoader, type LabelsPerClass, type TaskName } from '../data/index.js';
import { loadPretrained, type LoadedBackbone } from '../models/index.js';
import type { TrainConfig } from './config.js';
import { RunSession, type RunPlan } from './lifecycle.js';

/** The arguments every supervised run records. */
export interface SupervisedArgs { data: TaskName; labelsPerClass: LabelsPerClass; batchSize: number; weights: string }

/** What openSupervised returns; dispose() frees the model and the task. */
export interface SupervisedStart extends LoadedBackbone {
  task: BenchmarkTask; session: RunSession; loaders: { train: DataLoader; plain: DataLoader; test: DataLoader }; dispose(): void;
}

/** Loads the task, seeds, loads the weights (a new head for the task unless method.head is 'keep'), opens the run directory and builds the loaders. */
export function openSupervised<A extends SupervisedArgs>(plan: RunPlan<A>, args: A, config: TrainConfig<{ head?: string; numClasses: number | null }>, o: { command?: string }): SupervisedStart {
  const method = config.method;
  const task = loadTask(args.data, { labelsPerClass: args.labelsPerClass, seed: config.seed });
  method.numClasses = task.numClasses;
  torch.manualSeed(config.seed);
  let loaded: LoadedBackbone;
  const inChannels = task.train.images.shape[1]!;
  try { loaded = loadPretrained(args.weights, { inChannels, data: args.data, ...(method.head === 'keep' ? {} : { numClasses: task.numClasses }) }); } catch (e) { task.dispose(); throw e; }
  const dispose = (): void => { loaded.model.dispose(); task.dispose(); };
  try {
    const session = RunSession.open(plan, args, o);
    return { ...loaded, task, session, loaders: taskLoaders(task, args.batchSize, config.seed), dispose };
  } catch (e) { dispose(); throw e; }
}
