/**
 * @module export: adaptune models to ONNX (exportOnnx), checked in ONNX Runtime (verifyOnnx), as a static web
 * page (exportWeb) with the preprocessing shared with predict (preprocess, imageInput), with the
 * exporter registry for modules defined elsewhere (registerOnnxExporter) and the metadata readers.
 */
export { exportOnnx, inEval, applyNormalization, type ExportOptions, type OnnxExport } from './export.js';
export { verifyOnnx, type VerifyInput, type VerifyOptions, type VerifyResult, type VerifyBatch, type VerifyTiming } from './verify.js';
export { registerOnnxExporter, exportableModules, UnsupportedModuleError, type OnnxExporter } from './registry.js';
export { ExportContext, type Value, type ContextOptions } from './context.js';
export { convBn } from './layers.js';
export { readOnnxMetadata, parseOnnxInfo, preprocessingOf, ONNX_FORMAT, type OnnxModelInfo, type Normalization } from './metadata.js';
export { float, type AttrValue } from './graph.js';
export { exportWeb, webAssetsDir, type WebExport, type WebExportOptions, type WebModelConfig } from './web.js';
export { preprocess, resizeRgb, resizedSize, checkPreprocessing, softmax, type Preprocessing, type ResizeSpec, type Pixels } from './preprocess.js';
export { decodePixels, imageInput } from './image.js';
export { planFromSidecar, type ExportPlan } from './plan.js';
export { runExport, ExportVerificationError, type RunExportOptions, type ExportReport } from './run.js';
export { runPredict, type PredictOptions, type PredictReport, type Prediction } from './predict.js';
export { EXPORT_OPTIONS, PREDICT_OPTIONS, exportSettings, parseImageRef, parseIndices, type ImageRef } from './options.js';
