/**
 * @module PNG overlays of anomaly score maps (sharp, loaded on first use): three panels side by side, each
 * upscaled by `scale` (nearest): the image, the image with the ground-truth mask's boundary in red, and the
 * image blended 50/50 with a jet colour map of the scores clipped to `range` (blue low, red high).
 */

/** One image to draw: pixels [C, H, W] in [0, 1] (C = 1 or 3), its score map [H, W] and optional 0/1 mask [H, W]. */
export interface OverlayInput { image: ArrayLike<number>; channels: number; height: number; width: number; scores: ArrayLike<number>; mask?: ArrayLike<number> | null }

/** Jet colour map of t in [0, 1] as RGB in [0, 1]. */
export function jet(t: number): [number, number, number] {
  const c = (x: number): number => Math.min(1, Math.max(0, x));
  return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
}

/** The RGB bytes [3 panels wide] of an overlay; exported for tests. */
export function overlayPixels(o: OverlayInput, range: [number, number], scale = 8): { data: Uint8Array; width: number; height: number } {
  const { height: h, width: w, channels: c } = o;
  if (o.image.length !== c * h * w || o.scores.length !== h * w || (o.mask && o.mask.length !== h * w)) {
    throw new RangeError(`overlayPixels: expected image ${c}x${h}x${w}, scores and mask ${h}x${w}`);
  }
  const W = 3 * w * scale, H = h * scale;
  const data = new Uint8Array(W * H * 3);
  const rgb = (y: number, x: number): [number, number, number] => {
    const g = (ch: number): number => o.image[(ch * h + y) * w + x]!;
    return c === 3 ? [g(0), g(1), g(2)] : [g(0), g(0), g(0)];
  };
  const span = range[1] - range[0] || 1;
  const edge = (y: number, x: number): boolean => {
    if (!o.mask || !o.mask[y * w + x]) return false;
    return [[-1, 0], [1, 0], [0, -1], [0, 1]].some(([dy, dx]) => { const yy = y + dy!, xx = x + dx!; return yy < 0 || yy >= h || xx < 0 || xx >= w || !o.mask![yy * w + xx]; });
  };
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const base = rgb(y, x);
    const t = Math.min(1, Math.max(0, (o.scores[y * w + x]! - range[0]) / span));
    const heat = jet(t);
    const panels = [base, edge(y, x) ? [1, 0, 0] : base, base.map((v, i) => 0.5 * v + 0.5 * heat[i]!)];
    panels.forEach((p, k) => {
      for (let sy = 0; sy < scale; sy++) for (let sx = 0; sx < scale; sx++) {
        const off = ((y * scale + sy) * W + k * w * scale + x * scale + sx) * 3;
        for (let i = 0; i < 3; i++) data[off + i] = Math.round(p[i]! * 255);
      }
    });
  }
  return { data, width: W, height: H };
}

/** Writes the overlay of one image as a PNG file. */
export async function writeOverlay(file: string, o: OverlayInput, range: [number, number], scale = 8): Promise<void> {
  const sharp = (await import('sharp')).default;
  const p = overlayPixels(o, range, scale);
  await sharp(Buffer.from(p.data), { raw: { width: p.width, height: p.height, channels: 3 } }).png().toFile(file);
}
