/**
 * @module nn: modules (nn.Module with PyTorch's dotted state-dict names), layers, nn.init,
 * nn.functional (option objects for keyword arguments) and losses. See module.ts for the
 * registration design and the list of deviations from PyTorch.
 */
export { Module, type AnyModule, type RemovableHandle, type ForwardHook, type ForwardPreHook, type StateDict, type ModuleTo } from './module.js';
export { Linear, Identity, Flatten, Dropout, Embedding, type FactoryOptions } from './layers/linear.js';
export { Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type Conv2dLayerOptions } from './layers/conv.js';
export { BatchNorm1d, BatchNorm2d, LayerNorm, GroupNorm, type BatchNormLayerOptions } from './layers/norm.js';
export { ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax } from './layers/activation.js';
export { Sequential, ModuleList, ModuleDict } from './layers/container.js';
export { LSTMCell, GRUCell } from './layers/rnn.js';
export {
  CrossEntropyLoss, NLLLoss, MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss,
} from './losses.js';
export * as init from './init.js';
export * as functional from './functional.js';
