/** @module io: weights and state files. */
export { loadSafetensors, saveSafetensors, readSafetensorsHeader, parseHeader, readExactly, MAX_HEADER_BYTES, MAX_TENSORS, MAX_TENSOR_BYTES, IO_CHUNK_BYTES, type TensorInfo, type SafetensorsHeader } from './safetensors.js';
export { loadTorchCheckpoint, ALLOWED_GLOBALS, type TorchCheckpoint, type TorchLoadOptions } from './pth.js';
export { unpickle, PickleError, PyDict, PyTuple, PySet, PyGlobal, type Hooks as PickleHooks } from './pickle.js';
