/** @module Typed errors. Every error thrown by adaptune is one of these (or a TypeError for a wrong JS type). */

/** libtorch refused an op; the message names the op and its arguments' shapes and dtypes. */
export class TorchError extends Error {
  override name = 'TorchError';
  /** The op that failed, e.g. 'matmul'. */
  readonly op: string;
  constructor(message: string, op = '') {
    super(message);
    this.op = op;
  }
}
export class ShapeError extends Error { override name = 'ShapeError'; }
export class DTypeError extends Error { override name = 'DTypeError'; }
/** A tensor was used after dispose(). */
export class DisposedError extends Error { override name = 'DisposedError'; }
/** A config value is missing or out of range; the message names the field. */
export class ConfigError extends Error { override name = 'ConfigError'; }
/** A weights/checkpoint file is malformed; the message names the file. */
export class SafetensorsError extends Error { override name = 'SafetensorsError'; }
export class CheckpointError extends Error { override name = 'CheckpointError'; }
export class DataError extends Error { override name = 'DataError'; }
/** Graph mode (torch.jit) could not trace, optimise or run a module; the message names the module and input. */
export class GraphModeError extends Error { override name = 'GraphModeError'; }
