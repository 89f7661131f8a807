/**
 * @module The image preprocessing of an exported model as a small declarative description, and the one
 * pure-JS function that applies it to decoded pixels. `adaptune predict` (pixels decoded by sharp) and the
 * web page of `exportWeb` (pixels decoded by the browser's canvas) both run THIS code, so the two agree to
 * the bit on the same pixels. The file imports nothing: exportWeb copies its compiled form next to the page.
 *
 * Steps, in order: alpha is flattened onto black by the decoder (both sides); the image is resized (separable
 * Lanczos-3 when shrinking, Catmull-Rom cubic when enlarging, as libvips/sharp do; see resizeRgb) either straight to
 * the input size ('fill', adaptune's loaders) or so that its shorter side is `size`, then center-cropped to
 * the input size ('shorter', torchvision's Resize(size) + CenterCrop); values are rounded to uint8 as an
 * image decoder would; 1-channel models get PIL's convert('L') luma; 0..255 maps linearly to `range`; an
 * optional (x - mean) / std follows (null when the graph normalises itself, as adaptune export does).
 */

/** How an image is brought to the model's input size. */
export type ResizeSpec = { mode: 'fill' } | { mode: 'shorter'; size: number };

/** Everything needed to turn decoded pixels into the graph's input (CHW float32). */
export interface Preprocessing {
  channels: 1 | 3;
  /** [height, width] of the graph input. */
  size: [number, number];
  resize: ResizeSpec;
  /** The value range 0..255 maps to (the graph's input_range). */
  range: [number, number];
  /** Normalisation applied here, outside the graph (null: none, or the graph does it). */
  normalize: { mean: number[]; std: number[] } | null;
}

/** Decoded pixels, row-major HWC, 3 (RGB) or 4 (RGBA, alpha ignored: flatten before) channels per pixel. */
export interface Pixels { data: ArrayLike<number>; width: number; height: number; channels: 3 | 4 }

/** Python's round (half to even), as torchvision's CenterCrop uses. */
const roundHalfEven = (x: number): number => {
  const f = Math.floor(x);
  const d = x - f;
  return d > 0.5 ? f + 1 : d < 0.5 ? f : (f % 2 === 0 ? f : f + 1);
};

/** Size before the crop: [h, w] itself for 'fill'; shorter side = size, longer side truncated like torchvision. */
export function resizedSize(spec: Preprocessing, height: number, width: number): [number, number] {
  if (spec.resize.mode === 'fill') return [spec.size[0], spec.size[1]];
  const s = spec.resize.size;
  return height <= width ? [s, Math.floor((s * width) / height)] : [Math.floor((s * height) / width), s];
}

/** Checks a Preprocessing (errors name the field); returns it. */
export function checkPreprocessing(p: Preprocessing, where = 'preprocessing'): Preprocessing {
  const bad = (f: string, v: unknown): never => { throw new Error(`${where}.${f} is invalid: ${JSON.stringify(v)}`); };
  if (p.channels !== 1 && p.channels !== 3) bad('channels', p.channels);
  if (!Array.isArray(p.size) || p.size.length !== 2 || !p.size.every((v) => Number.isInteger(v) && v >= 1)) bad('size', p.size);
  const r = p.resize;
  if (!r || (r.mode !== 'fill' && !(r.mode === 'shorter' && Number.isInteger(r.size) && r.size >= Math.max(...p.size)))) bad('resize', r);
  if (!Array.isArray(p.range) || p.range.length !== 2 || !(p.range[0] < p.range[1])) bad('range', p.range);
  const n = p.normalize;
  if (n && !(n.mean.length === n.std.length && (n.mean.length === 1 || n.mean.length === p.channels) && n.std.every((s) => s > 0))) bad('normalize', n);
  return p;
}

const lanczos3 = (x: number): number => {
  if (x === 0) return 1;
  if (x <= -3 || x >= 3) return 0;
  const px = Math.PI * x;
  return (3 * Math.sin(px) * Math.sin(px / 3)) / (px * px);
};

/** Catmull-Rom cubic (a = -0.5), libvips' bicubic interpolator. */
const cubic = (x: number): number => {
  const t = Math.abs(x);
  return t < 1 ? (1.5 * t - 2.5) * t * t + 1 : t < 2 ? ((-0.5 * t + 2.5) * t - 4) * t + 2 : 0;
};

/** A 1-D resampling: per output index, input indices (edges clamped) and weights. */
interface Taps { idx: Int32Array; w: Float64Array; n: number }

/**
 * Taps for one axis, following libvips' resize as sharp calls it (fit 'fill', kernel lanczos3), measured on
 * ramps and impulses: shrinking uses Lanczos-3 widened by the factor, centre convention, edges copied;
 * enlarging uses Catmull-Rom cubic at input position X * in/out - 0.5, edges copied.
 */
function taps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const up = scale < 1;
  const fs = Math.max(scale, 1);
  const support = up ? 2 : 3 * fs;
  const n = up ? 4 : Math.ceil(support) * 2 + 1;
  const idx = new Int32Array(outSize * n);
  const w = new Float64Array(outSize * n);
  for (let i = 0; i < outSize; i++) {
    const center = up ? i * scale - 0.5 : (i + 0.5) * scale - 0.5;
    const lo = up ? Math.floor(center) - 1 : Math.floor(center - support) + 1;
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const x = lo + j;
      const v = up ? cubic(x - center) : lanczos3((x - center) / fs);
      idx[i * n + j] = Math.min(inSize - 1, Math.max(0, x));
      w[i * n + j] = v;
      sum += v;
    }
    for (let j = 0; j < n; j++) w[i * n + j]! /= sum;
  }
  return { idx, w, n };
}

const toByte = (v: number): number => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** One separable pass along x (axis 0) or y (axis 1) of an RGB uint8 image, rounded to uint8. */
function pass(src: Uint8Array, W: number, H: number, axis: 0 | 1, out: number): Uint8Array {
  const t = taps(axis === 0 ? W : H, out);
  const oW = axis === 0 ? out : W, oH = axis === 0 ? H : out;
  const dst = new Uint8Array(oW * oH * 3);
  for (let y = 0; y < oH; y++) {
    for (let x = 0; x < oW; x++) {
      const i = axis === 0 ? x : y;
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < t.n; j++) {
        const k = t.idx[i * t.n + j]!, wt = t.w[i * t.n + j]!;
        const p = (axis === 0 ? y * W + k : k * W + x) * 3;
        r += wt * src[p]!; g += wt * src[p + 1]!; b += wt * src[p + 2]!;
      }
      const q = (y * oW + x) * 3;
      dst[q] = toByte(r); dst[q + 1] = toByte(g); dst[q + 2] = toByte(b);
    }
  }
  return dst;
}

/**
 * Resizes RGB(A) pixels to [outH, outW] RGB uint8 in libvips' order: Lanczos-3 reduction (vertical, then
 * horizontal), then cubic enlargement; each pass rounds to uint8. Same size in and out: a copy of the RGB values.
 * Measured against sharp 0.34 (libvips 8.17) resize(fit 'fill', lanczos3) on noisy generated images: max 1-2
 * levels of 255 for shrinking up to ~3x and for enlarging; 3-8 levels for shrinking 4x and more (libvips first
 * box-shrinks by an integer factor there, which this does not reproduce).
 */
export function resizeRgb(px: Pixels, outH: number, outW: number): Uint8Array {
  const { width, height, channels: c, data } = px;
  if (data.length < width * height * c) throw new Error(`resizeRgb: ${data.length} values for ${width}x${height}x${c} pixels`);
  let img: Uint8Array = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) for (let k = 0; k < 3; k++) img[i * 3 + k] = data[i * c + k]!;
  let W = width, H = height;
  if (outH < H) { img = pass(img, W, H, 1, outH); H = outH; }
  if (outW < W) { img = pass(img, W, H, 0, outW); W = outW; }
  if (outH > H) { img = pass(img, W, H, 1, outH); H = outH; }
  if (outW > W) { img = pass(img, W, H, 0, outW); W = outW; }
  return img;
}

/** The graph input (CHW float32, length channels*H*W) for one decoded image. */
export function preprocess(spec: Preprocessing, px: Pixels): Float32Array {
  const [H, W] = spec.size;
  const [rh, rw] = resizedSize(spec, px.height, px.width);
  const rgb = resizeRgb(px, rh, rw);
  const top = roundHalfEven((rh - H) / 2);
  const left = roundHalfEven((rw - W) / 2);
  const C = spec.channels;
  const [lo, hi] = spec.range;
  const k = (hi - lo) / 255;
  const n = spec.normalize;
  const out = new Float32Array(C * H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = ((y + top) * rw + x + left) * 3;
      const r = rgb[p]!, g = rgb[p + 1]!, b = rgb[p + 2]!;
      for (let ch = 0; ch < C; ch++) {
        // PIL convert('L'): (19595 R + 38470 G + 7471 B + 2^15) >> 16
        const v = C === 1 ? Math.floor((19595 * r + 38470 * g + 7471 * b + 32768) / 65536) : ch === 0 ? r : ch === 1 ? g : b;
        let f = Math.fround(v * k + lo);
        if (n) { const i = n.mean.length === 1 ? 0 : ch; f = (f - n.mean[i]!) / n.std[i]!; }
        out[(ch * H + y) * W + x] = f;
      }
    }
  }
  return out;
}

/** Softmax of one row of logits (max subtracted), in float64. */
export function softmax(logits: ArrayLike<number>, off = 0, k = logits.length - off): number[] {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, logits[off + j]!);
  const e = Array.from({ length: k }, (_, j) => Math.exp(logits[off + j]! - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
