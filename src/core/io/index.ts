/** @module io: weights and state files. */
export { loadSafetensors, saveSafetensors, readSafetensorsHeader, parseHeader, MAX_HEADER_BYTES, type TensorInfo, type SafetensorsHeader } from './safetensors.js';
