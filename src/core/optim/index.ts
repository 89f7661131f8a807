/** @module optim: optimizers (SGD, Adam, AdamW) and learning-rate schedulers, PyTorch 1.13's update rules. */
export {
  Optimizer, splitStateDict, joinStateDict,
  type ParamGroup, type ParamGroupInput, type Params, type ParamState, type OptimizerStateDict, type OptimizerStateMeta,
} from './optimizer.js';
export { SGD, type SGDOptions, type SGDGroup } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamGroup } from './adam.js';
