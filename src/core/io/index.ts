/** @module io: weights and state files. */
export { loadSafetensors, saveSafetensors, readSafetensorsHeader, parseHeader, MAX_HEADER_BYTES, type TensorInfo, type SafetensorsHeader } from './safetensors.js';
export { loadTorchCheckpoint, ALLOWED_GLOBALS, type TorchCheckpoint, type TorchLoadOptions } from './pth.js';
export { unpickle, PickleError, PyDict, PyTuple, PySet, PyGlobal, type Hooks as PickleHooks } from './pickle.js';
