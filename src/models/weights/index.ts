/**
 * @module Pre-trained weights from other tools: read any safetensors or PyTorch checkpoint (readStateDict),
 * map its key names (normaliseKeys), infer the registry model (inferArchitecture), load it with every
 * problem named (loadWeights, fitStateDict) and convert it to adaptune's safetensors + sidecar (convertWeights).
 */
export { normaliseKeys, inferArchitecture, STRIPPED_PREFIXES, type KeyMapping, type KeyStyle, type InferredArchitecture } from './keys.js';
export {
  readStateDict, detectWeightsFormat, fitStateDict, loadWeights, IMAGENET_NORMALIZATION,
  type StateDictFile, type WeightsFormat, type FitReport, type LoadWeightsOptions, type LoadedWeights, type Normalization,
} from './load.js';
export { convertWeights, type ConvertOptions, type ConvertedSidecar } from './convert.js';
