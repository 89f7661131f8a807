/**
 * @module train: the training engine shared by every method: the Task
 * interface, one loop (train/resume/Trainer), configuration (defaults < file <
 * flags, validated), run directories, atomic verified checkpoints, guards and
 * progress rendering.
 */
export type { Task, LossOutput, ParamGroupSpec, StepContext, TaskState, BatchSource, SourceState } from './task.js';
export { Trainer } from './loop.js';
export { train, resume } from './run.js';
export type { TrainEvent, TrainStatus, TrainOptions, TrainResult } from './events.js';
export {
  defaultTrainConfig, validateConfig, mergeConfig, parseOverrides, loadConfigFile, resolveConfig, makeConfig, withMethod, configHash, configDiff,
  type TrainConfig, type PartialConfig,
} from './config.js';
export { RunDir, MetricsLog, newRunDir, makeDirs, collectVersions, gitRevision, packageVersion, type Versions } from './rundir.js';
export { saveCheckpoint, verifyCheckpoint, writeManifest, CheckpointReader, MANIFEST_VERSION, type Manifest, type CheckpointContent, type PhaseHook } from './checkpoint.js';
export { Checkpoints, checkpointName, type Pointer } from './checkpoints.js';
export { clipGradNorm_, gradNorm, firstNonFinite, MetricMonitor, NonFiniteError } from './guards.js';
export { SignalTrap, exitCodeForSignal } from './signals.js';
export { createProgress, formatDuration, type ProgressOptions } from './progress.js';
export { buildOptimizer, buildScheduler } from './build.js';
export { SummaryWriter, metricsToTensorBoard, ensureTensorBoard, tensorboardListener, crc32c, maskCrc, frameRecord, encodeScalarEvent, encodeFileVersionEvent, ProtoWriter, type SummaryWriterOptions } from './tensorboard.js';
export { writeReport, buildReport, type ReportOptions, type ReportResult } from './report/index.js';
export { overBatches, evaluateClassifier, classificationMetrics, metricsFromConfusion, type LabelledBatches, type AnyLabelledBatches, type ClassificationMetrics, type EvaluateOptions } from './evaluate.js';
export { checkMethodFields, isPlainObject, isFiniteNumber, nonNegative, type FieldCheck } from './method-config.js';
export { layerConfig, defined, checkRunOut, planRun, planOutputRun, settingsDiff, checkResume, runConfig, RunSession, readSummary, savedRunArgs, ARGS_FILE, type RunHooks, type RunPlan, type ConfigLayers, type LayerOptions } from './lifecycle.js';
export { openSupervised, loadBackbone, preprocessingFor, inputChannels, isBuiltinSpec, SUPERVISED_DATA_DEFAULTS, type SupervisedArgs, type SupervisedStart, type Backbone } from './supervised.js';
