/** @module adaptune: fine-tune pre-trained networks from TypeScript over libtorch. */
export * as torch from './core/torch.js';
export { Tensor } from './core/torch.js';
export * from './core/errors.js';
