/** @module Data: datasets (IDX, ImageFolder, MVTec-AD, tensors), seeded splits, batched transforms, the DataLoader. */
export { Rng } from './rng.js';
export { Dataset, validateLabels, type DatasetInit, type CorruptPolicy, type LoadReport, type SkippedFile } from './dataset.js';
export { readIdx, readIdxDataset, loadFashionMnist, FASHION_MNIST_CLASSES, FASHION_MNIST_ROOT, type IdxArray, type FashionMnistOptions } from './idx.js';
export { loadImageFolder, loadMvtec, type ImageFolderOptions, type MvtecOptions, type MvtecData } from './folders.js';
export { type ImageSpec } from './decode.js';
export { classSubset, subsetClasses, labelBudget, stratifiedSplit, fingerprint, type SplitDescription, type ClassSubset, type LabelBudget, type TrainValSplit } from './splits.js';
export { DataLoader, type LoaderOptions, type Batch, type LoaderState } from './loader.js';
export * as transforms from './transforms/index.js';
export { loadTask, parseTaskSpec, parseLabelsPerClass, checkTaskOptions, listTasks, clearTaskCache, generateTextures, TASK_NAMES, TASK_DESCRIPTIONS, LABEL_BUDGETS, TEXTURE_CLASSES, TEXTURES_VERSION, TEXTURES_DATA_SEED, TEXTURES_PER_CLASS, generateShapes, SHAPE_CLASSES, SHAPES_VERSION, SHAPES_DATA_SEED, SHAPES_PER_CLASS, type ShapeOptions, type BenchmarkTask, type TaskDescription, type TaskSpec, type TaskOptions, type TaskName, type LabelsPerClass, type TextureOptions } from './tasks/index.js';
export { open, DATA_SPEC_HELP, type OpenOptions, type OpenedData, type ImageSet } from './open.js';
export { describePreprocessing, parsePreprocessing, preprocessingMetadata, PREPROCESSING_KEY, evalTransform, trainTransform, CenterCrop, AUGMENTS, type Preprocessing, type PreprocessingOptions, type AugmentName } from './preprocess.js';
export { FileImageSet, StreamingLoader, type StreamingLoaderOptions } from './stream.js';
export { IMAGE_EXTENSIONS, scanImages, type ImageScan } from './open-files.js';
export { loadersFor, evalBatchFor, type OpenedLoaders, type AnyLoader } from './open-loaders.js';
export { augmentation, taskLoaders } from './augment.js';
export { fmnistOneClass } from './oneclass.js';
