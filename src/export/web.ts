/**
 * @module exportWeb: an exported .onnx model as a self-contained static web folder: model.onnx, model.json
 * (preprocessing and class names from the model's metadata), onnxruntime-web's wasm build copied from its npm
 * package, preprocess.js (the compiled preprocess.ts, the same code `adaptune predict` runs), and a small page
 * (assets/web/) that classifies dropped or picked images and shows the top classes, probabilities and time per
 * image. Nothing is fetched from outside the folder.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../core/errors.js';
import { parseOnnxInfo, preprocessingOf, readOnnxMetadata } from './metadata.js';
import type { Preprocessing } from './preprocess.js';

/** Options of exportWeb. */
export interface WebExportOptions {
  /** Classes listed per image (default min(5, number of classes)). */
  top?: number;
}

/** What exportWeb wrote. */
export interface WebExport {
  dir: string;
  /** Every file written, with its size in bytes. */
  files: { name: string; bytes: number }[];
  totalBytes: number;
  preprocessing: Preprocessing;
  classNames: string[];
  /** The onnxruntime-web version whose wasm build was copied. */
  onnxruntimeWeb: string;
}

/** The contents of model.json, read by the page. */
export interface WebModelConfig {
  format: 'adaptune-web/1';
  model: string;
  preprocessing: Preprocessing;
  classNames: string[];
  /** Name of the logits output. */
  logits: string;
  top: number;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/** The page template folder (assets/web from dist/src/export or src/export). */
export function webAssetsDir(): string {
  for (const up of ['../../..', '../..']) {
    const d = resolve(HERE, up, 'assets', 'web');
    if (existsSync(join(d, 'index.html'))) return d;
  }
  throw new Error(`exportWeb: the page template (assets/web/index.html) is missing next to ${HERE}`);
}

/** onnxruntime-web's dist folder and version (Error saying how to install it when absent). */
function onnxruntimeWeb(): { dist: string; version: string } {
  let wasm: string;
  try { wasm = createRequire(import.meta.url).resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'); } catch {
    throw new Error('exportWeb: onnxruntime-web is not installed (it is a dependency of adaptune: npm install)');
  }
  const dist = dirname(wasm);
  const version = (JSON.parse(readFileSync(join(dist, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { dist, version };
}

/**
 * Writes the web folder for `model` (an .onnx path or its bytes, exported by adaptune with a 'logits' output
 * and an image input [1 or 3, H, W]) into `dir` (created; files of the same names are replaced). Throws naming
 * the model when it was not exported by adaptune or does not take images.
 */
export function exportWeb(model: string | Uint8Array, dir: string, o: WebExportOptions = {}): WebExport {
  const where = typeof model === 'string' ? model : 'model';
  const bytes = typeof model === 'string' ? readFileSync(model) : model;
  const info = parseOnnxInfo(readOnnxMetadata(bytes, where), where);
  const preprocessing = preprocessingOf(info, where);
  const logits = info.outputs[0];
  if (logits !== 'logits') throw new Error(`${where}: metadata outputs ${JSON.stringify(info.outputs)} do not start with 'logits'`);
  const k = info.classNames?.length ?? null;
  const classNames = info.classNames ?? [];
  const top = o.top ?? Math.min(5, k ?? 5);
  if (!(Number.isInteger(top) && top >= 1)) throw new ConfigError(`exportWeb: options.top must be an integer >= 1, got ${JSON.stringify(o.top)}`);
  const ort = onnxruntimeWeb();
  const assets = webAssetsDir();
  const out = resolve(dir);
  mkdirSync(out, { recursive: true });
  const config: WebModelConfig = { format: 'adaptune-web/1', model: info.props['model_name'] ?? info.model, preprocessing, classNames, logits, top };
  writeFileSync(join(out, 'model.onnx'), bytes);
  writeFileSync(join(out, 'model.json'), JSON.stringify(config, null, 2) + '\n');
  const pre = readFileSync(join(HERE, 'preprocess.js'), 'utf8').replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
  writeFileSync(join(out, 'preprocess.js'), pre);
  for (const f of ['index.html', 'page.js']) copyFileSync(join(assets, f), join(out, f));
  for (const f of ['ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm']) copyFileSync(join(ort.dist, f), join(out, f));
  writeFileSync(join(out, 'README.txt'), [
    `A web page that classifies images with ${config.model} (exported by adaptune), in onnxruntime-web ${ort.version} (wasm).`,
    'Serve this folder with any static server and open it, e.g.',
    '  npx http-server . -a 127.0.0.1    or    python3 -m http.server -b 127.0.0.1 -d .',
    'Browsers that allow pages to read files from file:// (Firefox; Chromium with --allow-file-access-from-files)',
    'also run index.html opened directly. Nothing is loaded from outside this folder.', '',
  ].join('\n'));
  const names = ['index.html', 'page.js', 'preprocess.js', 'model.json', 'model.onnx', 'ort.wasm.bundle.min.mjs', 'ort-wasm-simd-threaded.wasm', 'README.txt'];
  const files = names.map((name) => ({ name, bytes: statSync(join(out, name)).size }));
  return { dir: out, files, totalBytes: files.reduce((a, f) => a + f.bytes, 0), preprocessing, classNames, onnxruntimeWeb: ort.version };
}
