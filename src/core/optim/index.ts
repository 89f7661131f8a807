/** @module optim: optimizers and learning-rate schedulers. */
export {};
