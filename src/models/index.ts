/**
 * @module models: ResNets with torchvision names (resnet18/34/50), CIFAR ResNets, a small CNN, a registry
 * by name (createModel/listModels), named feature taps (forwardFeatures) and a uniform head API
 * (getClassifier/resetClassifier/reinitClassifier/imprintClassifier, featureDim).
 */
export { FeatureModel, type Stage, type ImprintOptions, type Classifier } from './base.js';
export { FeatureExtractor, type FeatureExtractorOptions } from './features.js';
export { ResNet, BasicBlock, Bottleneck, type ResNetSpec, type BlockKind, type ResidualBlock } from './resnet.js';
export { SmallCnn, type SmallCnnSpec } from './small_cnn.js';
export {
  createModel, listModels, type ModelName, type ModelConfigs, type ModelFor, type ResNetConfig, type CifarResNetConfig,
  type SmallCnnConfig,
} from './registry.js';
export {
  readStateDict, detectWeightsFormat, fitStateDict, loadWeights, convertWeights, normaliseKeys, inferArchitecture, IMAGENET_NORMALIZATION,
  type StateDictFile, type WeightsFormat, type FitReport, type LoadWeightsOptions, type LoadedWeights, type Normalization,
  type ConvertOptions, type ConvertedSidecar, type KeyStyle, type InferredArchitecture,
} from './weights/index.js';
export {
  BackboneError, DEFAULT_BACKBONE, backbonesDir, bundledBackbonePath, bundledBackbone, loadPretrained, readSidecar, verifyWeights, buildModel,
  writeWeights, sidecarPath, sha256File, type LoadedBackbone, type Sidecar, type ModelSpec,
} from './pretrained.js';
