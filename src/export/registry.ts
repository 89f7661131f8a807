/**
 * @module The exporter registry: one ONNX exporter per module class (matched on the exact constructor, so a
 * subclass that overrides forward is never exported as its parent). adaptune's layers and models register
 * theirs in layers.ts and models.ts; a method registers the inference form of its own modules with
 * registerOnnxExporter (e.g. a gated block evaluated with hard gates) without src/export importing it.
 */
import type { AnyModule } from '../core/nn/module.js';
import type { ExportContext, Value } from './context.js';

/** Emits the ONNX nodes of module `m` applied to `x` and returns its output (name and libtorch sample). */
export type OnnxExporter<M extends AnyModule = AnyModule> = (m: M, x: Value, ctx: ExportContext) => Value;

type Ctor<M> = abstract new (...args: never[]) => M;
const EXPORTERS = new Map<Function, OnnxExporter>();

/** Registers (or replaces) the exporter of module class `cls` (exact class; subclasses need their own). */
export function registerOnnxExporter<M extends AnyModule>(cls: Ctor<M>, fn: OnnxExporter<M>): void {
  EXPORTERS.set(cls, fn as OnnxExporter);
}

/** The exporter of m's exact class, or undefined. */
export function exporterFor(m: AnyModule): OnnxExporter | undefined { return EXPORTERS.get(m.constructor); }

/** Names of the module classes that have an exporter (for error messages and docs). */
export function exportableModules(): string[] { return [...EXPORTERS.keys()].map((c) => c.name).sort(); }

/** A module that has no ONNX form; the message names the module path and its class. */
export class UnsupportedModuleError extends Error {
  override name = 'UnsupportedModuleError';
  constructor(readonly modulePath: string, readonly moduleClass: string, reason: string) {
    super(`exportOnnx: cannot export module '${modulePath}' (${moduleClass}): ${reason}`);
  }
}
