/** @module adaptune: fine-tune pre-trained networks from TypeScript over libtorch. */
export * as torch from './core/torch.js';
export * as nn from './core/nn/index.js';
export * as optim from './core/optim/index.js';
export * as io from './core/io/index.js';
export * as data from './data/index.js';
export * as models from './models/index.js';
export * as train from './train/index.js';
export * as distributed from './core/distributed.js';
export { Tensor } from './core/torch.js';
export * from './core/errors.js';
export * as finetune from './methods/finetune/index.js';
export * as recipes from './recipes/index.js';
