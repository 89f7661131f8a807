/** @module Loads the libtorch addon once, after setting the thread environment. */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { TorchError } from '../errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
/** The raw binding: generated op wrappers plus the hand-written functions of native/src/addon.cc. */
export type NativeBinding = Record<string, (...args: any[]) => any>;

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'binding.gyp'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('adaptune: cannot find the package root (binding.gyp) above ' + fileURLToPath(import.meta.url));
}

function load(): NativeBinding {
  // OpenBLAS reads its thread count when libtorch pulls it in, i.e. at dlopen:
  // set it first. One BLAS thread under libtorch's own intra-op pool avoids
  // oversubscription (docs/architecture.md has the measurement).
  process.env.OPENBLAS_NUM_THREADS ??= '1';
  process.env.OMP_NUM_THREADS ??= String(cpus().length);
  const root = findRoot();
  const path = join(root, 'build', 'Release', 'adaptune.node');
  if (!existsSync(path)) {
    throw new Error(`adaptune: the native addon is not built (${path} is missing). Run \`npm run build\` ` +
      '(or `bash scripts/bootstrap.sh`, which also installs libtorch).');
  }
  const binding = createRequire(import.meta.url)(path) as NativeBinding;
  binding.setTorchErrorClass!(TorchError);
  const threads = Number(process.env.ADAPTUNE_NUM_THREADS ?? cpus().length);
  binding.setNumThreads!(threads > 0 ? threads : cpus().length);
  // The caching CPU allocator (native/src/allocator.h): ADAPTUNE_CPU_CACHE_MB caps the
  // bytes kept for reuse (default 1024; 0 turns caching off).
  const cacheMb = Number(process.env.ADAPTUNE_CPU_CACHE_MB ?? 1024);
  binding.cpuCacheInstall!(Number.isFinite(cacheMb) && cacheMb > 0 ? Math.round(cacheMb * 1024 * 1024) : 0);
  return binding;
}

export const native: NativeBinding = load();
