/** @module optim: optimizers (SGD, Adam, AdamW) and learning-rate schedulers, PyTorch 1.13's update rules. */
export {
  Optimizer, splitStateDict, joinStateDict,
  type ParamGroup, type ParamGroupInput, type Params, type ParamState, type OptimizerStateDict, type OptimizerStateMeta,
} from './optimizer.js';
export { SGD, type SGDOptions, type SGDGroup } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamGroup } from './adam.js';
export {
  LRScheduler, LambdaLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, type SchedulerStateDict,
} from './lr_scheduler.js';
export { OneCycleLR, type OneCycleOptions } from './one_cycle.js';
export { SequentialLR } from './sequential.js';
