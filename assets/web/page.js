// The page of `adaptune export --web`: loads model.onnx in onnxruntime-web (wasm, one thread) and classifies
// dropped or picked images. Pixels come from the browser's decoder (drawn onto black, so alpha is flattened
// as sharp does); preprocess.js is the same code `adaptune predict` runs on pixels decoded by sharp.
// Everything is loaded from this folder, with XMLHttpRequest so that it also works from file:// where the
// browser allows it (e.g. Chromium with --allow-file-access-from-files, Firefox).
import * as ort from './ort.wasm.bundle.min.mjs';
import { preprocess, softmax } from './preprocess.js';

const $ = (id) => document.getElementById(id);
const setStatus = (text, error = false) => { const s = $('status'); s.textContent = text; s.className = error ? 'error' : ''; };
const FILE_HINT = 'Browsers usually refuse to load files from file://; serve this folder instead, e.g. `npx http-server DIR` or `python3 -m http.server -d DIR`, and open http://127.0.0.1:PORT/.';

/** A file of this folder as an ArrayBuffer or JSON. */
function load(name, type) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open('GET', new URL(name, import.meta.url).href);
    x.responseType = type;
    const fail = (why) => reject(new Error(`${name}: ${why}${location.protocol === 'file:' ? `. ${FILE_HINT}` : ''}`));
    x.onload = () => ((x.status === 200 || (x.status === 0 && x.response)) ? resolve(x.response) : fail(`HTTP status ${x.status}`));
    x.onerror = () => fail('cannot be loaded');
    x.send();
  });
}

/** Decoded RGBA pixels of an image file at its own size, composited onto black. */
async function pixelsOf(blob) {
  const bmp = await createImageBitmap(blob);
  const c = document.createElement('canvas');
  c.width = bmp.width;
  c.height = bmp.height;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.fillStyle = '#000';
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(bmp, 0, 0);
  bmp.close();
  return { data: g.getImageData(0, 0, c.width, c.height).data, width: c.width, height: c.height, channels: 4 };
}

const pct = (p) => `${(100 * p).toFixed(p >= 0.9995 || p < 0.0005 ? 1 : 2)}%`;

function render(file, r, config) {
  const div = document.createElement('div');
  div.className = 'result';
  div.dataset.name = file.name;
  div.dataset.probabilities = JSON.stringify(r.probabilities);
  const img = document.createElement('img');
  img.src = URL.createObjectURL(file);
  img.alt = file.name;
  const right = document.createElement('div');
  right.className = 'grow';
  const name = document.createElement('div');
  name.className = 'name';
  name.textContent = file.name;
  right.append(name);
  const order = r.probabilities.map((_, i) => i).sort((i, j) => r.probabilities[j] - r.probabilities[i]).slice(0, config.top);
  for (const i of order) {
    const row = document.createElement('div');
    row.className = 'bar';
    const label = document.createElement('span');
    label.textContent = config.classNames[i] ?? String(i);
    const track = document.createElement('div');
    track.className = 'track';
    const fill = document.createElement('div');
    fill.className = 'fill';
    fill.style.width = `${(100 * r.probabilities[i]).toFixed(1)}%`;
    track.append(fill);
    const p = document.createElement('span');
    p.className = 'p';
    p.textContent = pct(r.probabilities[i]);
    row.append(label, track, p);
    right.append(row);
  }
  const time = document.createElement('div');
  time.className = 'time';
  time.textContent = `${r.width}×${r.height} px · decode + preprocess ${r.preprocessMs.toFixed(1)} ms · inference ${r.inferenceMs.toFixed(1)} ms`;
  right.append(time);
  div.append(img, right);
  $('results').prepend(div);
}

async function main() {
  const [config, model, wasm] = await Promise.all([load('model.json', 'json'), load('model.onnx', 'arraybuffer'), load('ort-wasm-simd-threaded.wasm', 'arraybuffer')]);
  const pre = config.preprocessing;
  const [h, w] = pre.size;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = wasm;
  const session = await ort.InferenceSession.create(new Uint8Array(model), { executionProviders: ['wasm'] });
  $('meta').textContent = `${config.model} · input ${pre.channels}×${h}×${w} (${pre.resize.mode === 'fill' ? 'resized to fit' : `shorter side ${pre.resize.size}, center crop`}) · ${config.classNames.length} classes: ${config.classNames.join(', ')}`;

  async function classify(file) {
    const t0 = performance.now();
    const px = await pixelsOf(file);
    const x = preprocess(pre, px);
    const t1 = performance.now();
    const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, pre.channels, h, w]) });
    const t2 = performance.now();
    return { probabilities: softmax(out[config.logits].data), preprocessMs: t1 - t0, inferenceMs: t2 - t1, width: px.width, height: px.height };
  }

  let pending = 0;
  async function handle(files) {
    const list = [...files].filter((f) => f.type.startsWith('image/') || /\.(png|jpe?g|webp|gif|bmp)$/i.test(f.name));
    if (!list.length) { setStatus('No image among the dropped files.', true); return; }
    pending += list.length;
    document.body.dataset.busy = 'true';
    for (const f of list) {
      try { render(f, await classify(f), config); } catch (e) { setStatus(`${f.name}: ${e.message}`, true); }
      pending--;
    }
    const n = $('results').children.length;
    setStatus(`${n} image${n === 1 ? '' : 's'} classified.`);
    if (!pending) document.body.dataset.busy = 'false';
  }

  const pick = $('pick');
  pick.disabled = false;
  pick.addEventListener('change', () => { handle(pick.files); });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); handle(e.dataTransfer.files); });
  setStatus('Ready: drop or pick images.');
  document.body.dataset.ready = 'true';
}

main().catch((e) => { setStatus(`Could not start: ${e.message}`, true); document.body.dataset.ready = 'error'; });
