/** @module Batched transforms on float [B, C, H, W] tensors in [0, 1]. */
export { type Transform, Compose, toFloat, grayscale, warpAffine } from './base.js';
export { Normalize, RandomCrop, RandomHorizontalFlip, RandomRotation, ColorJitter, Cutout, rotate } from './basic.js';
export { RandAugment, AugMix, AUG_OPS, applyPerExample, opPool, type AugOp } from './randaugment.js';
export { MixUp, CutMix, softTargets, type BatchMix, type MixedBatch } from './mix.js';
export { weakView, strongView, weakStrong, type ViewOptions } from './views.js';
