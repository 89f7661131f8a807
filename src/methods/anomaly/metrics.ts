/**
 * @module Detection and segmentation metrics in plain float64 JS: the ROC curve with ties grouped (one point per
 * distinct score), AUROC as its trapezoidal area, the TPR at a target FPR, and PRO (per-region overlap; Bergmann
 * et al., MVTec AD, IJCV 2021) integrated up to a false-positive-rate limit (default 0.3) and normalised by it.
 * Convention everywhere: a higher score is more anomalous; label 1 (or true) is anomalous.
 */

/** ROC curve points (fpr[k], tpr[k]) for thresholds[k]: predict anomalous iff score >= thresholds[k]; starts at (0, 0). */
export interface RocCurve { fpr: Float64Array; tpr: Float64Array; thresholds: Float64Array }

/** Counts positives and negatives; throws unless both are present and lengths match. */
function checkBinary(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, where: string): { nPos: number; nNeg: number } {
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`${where}: ${n} scores but ${labels.length} labels`);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(scores[i]!)) throw new RangeError(`${where}: score ${i} is NaN`);
    if (Number(labels[i]) === 1) nPos++;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) throw new RangeError(`${where}: needs both classes, got ${nPos} positive and ${nNeg} negative`);
  return { nPos, nNeg };
}

/**
 * The ROC curve: sort by score descending, and emit one point after each group of equal scores (ties move
 * FPR and TPR together, a diagonal segment, exactly as sklearn's roc_curve with drop_intermediate=false).
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): RocCurve {
  const { nPos, nNeg } = checkBinary(scores, labels, 'rocCurve');
  const n = scores.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  const fpr = [0], tpr = [0], thr = [Infinity];
  let tp = 0, fp = 0;
  for (let i = 0; i < n;) {
    const s = scores[idx[i]!]!;
    while (i < n && scores[idx[i]!] === s) { if (Number(labels[idx[i]!]) === 1) tp++; else fp++; i++; }
    fpr.push(fp / nNeg); tpr.push(tp / nPos); thr.push(s);
  }
  return { fpr: Float64Array.from(fpr), tpr: Float64Array.from(tpr), thresholds: Float64Array.from(thr) };
}

/** Trapezoidal area under a piecewise-linear curve y(x) from x[0] to min(limit, x[last]), interpolating at the limit. */
export function trapezoid(x: ArrayLike<number>, y: ArrayLike<number>, limit = Infinity): number {
  let area = 0;
  for (let k = 1; k < x.length; k++) {
    const x0 = x[k - 1]!, x1 = x[k]!;
    if (x0 >= limit) break;
    if (x1 <= limit) { area += ((x1 - x0) * (y[k - 1]! + y[k]!)) / 2; continue; }
    const yl = y[k - 1]! + ((y[k]! - y[k - 1]!) * (limit - x0)) / (x1 - x0);
    area += ((limit - x0) * (y[k - 1]! + yl)) / 2;
    break;
  }
  return area;
}

/**
 * AUROC as the trapezoidal area of rocCurve: equal to the Mann-Whitney probability P(s+ > s-) + P(s+ = s-)/2
 * (stats.ts's rank-based `auroc` computes the same number another way; tests check they agree).
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  const c = rocCurve(scores, labels);
  return trapezoid(c.fpr, c.tpr);
}

/**
 * AUROC of the normal examples against each anomaly type alone (MVTec's per-defect-type figure): `types[i]` names
 * example i's type, `normal` the normal one. Keys in order of first appearance; a type with no example is absent.
 */
export function aurocByType(scores: ArrayLike<number>, types: readonly string[], normal = 'good'): Record<string, number> {
  if (types.length !== scores.length) throw new RangeError(`aurocByType: ${types.length} types for ${scores.length} scores`);
  const good = types.flatMap((t, i) => (t === normal ? [i] : []));
  if (good.length === 0) throw new RangeError(`aurocByType: no '${normal}' example among the ${types.length}`);
  const out: Record<string, number> = {};
  for (const t of new Set(types)) {
    if (t === normal) continue;
    const idx = [...good, ...types.flatMap((u, i) => (u === t ? [i] : []))];
    out[t] = rocAuc(idx.map((i) => scores[i]!), idx.map((i) => (types[i] === normal ? 0 : 1)));
  }
  return out;
}

/**
 * TPR at a target FPR: the largest TPR among the curve's points with FPR <= maxFpr (the operating point a
 * threshold on the scores can actually reach, no interpolation), and that point's threshold.
 */
export function tprAtFpr(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, maxFpr: number): { tpr: number; fpr: number; threshold: number } {
  if (!(maxFpr >= 0 && maxFpr <= 1)) throw new RangeError(`tprAtFpr: maxFpr must lie in [0, 1], got ${maxFpr}`);
  const c = rocCurve(scores, labels);
  let k = 0;
  while (k + 1 < c.fpr.length && c.fpr[k + 1]! <= maxFpr) k++;
  return { tpr: c.tpr[k]!, fpr: c.fpr[k]!, threshold: c.thresholds[k]! };
}

/**
 * Connected components of a binary mask [h, w] (8-connectivity, as scipy.ndimage.label with a 3x3 structure,
 * which the MVTec evaluation uses): component ids 1..count per pixel, 0 for background.
 */
export function labelComponents(mask: ArrayLike<number>, h: number, w: number): { ids: Int32Array; count: number } {
  if (mask.length !== h * w) throw new RangeError(`labelComponents: mask has ${mask.length} pixels, expected ${h} x ${w}`);
  const ids = new Int32Array(h * w);
  let count = 0;
  const stack: number[] = [];
  for (let p = 0; p < h * w; p++) {
    if (!mask[p] || ids[p]) continue;
    ids[p] = ++count;
    stack.push(p);
    while (stack.length) {
      const q = stack.pop()!;
      const qy = Math.floor(q / w), qx = q % w;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
        const y = qy + dy, x = qx + dx;
        if (y < 0 || y >= h || x < 0 || x >= w) continue;
        const r = y * w + x;
        if (mask[r] && !ids[r]) { ids[r] = count; stack.push(r); }
      }
    }
  }
  return { ids, count };
}

/** The PRO curve and its normalised area. */
export interface ProResult {
  /** Area under PRO(FPR) for FPR in [0, limit], divided by limit (1 = perfect). */
  pro: number;
  /** Curve points (pixel FPR, mean per-region overlap), one per distinct score, starting at (0, 0). */
  fpr: Float64Array;
  overlap: Float64Array;
  /** Ground-truth regions (connected components over all images). */
  regions: number;
}

/**
 * PRO: for a threshold t, each ground-truth connected component R (over all images) has overlap
 * |{p in R : s_p >= t}| / |R|; PRO(t) is their mean, FPR(t) the fraction of normal (mask 0) pixels with
 * s_p >= t. The curve is swept exactly over every distinct score (ties move together) and integrated with
 * the trapezoid rule up to FPR = limit (interpolated there), then divided by limit.
 * `maps` and `masks` are per-image arrays of h*w values (masks 0/1).
 */
export function proScore(maps: ArrayLike<number>[], masks: ArrayLike<number>[], h: number, w: number, limit = 0.3): ProResult {
  if (maps.length !== masks.length) throw new RangeError(`proScore: ${maps.length} score maps but ${masks.length} masks`);
  if (!(limit > 0 && limit <= 1)) throw new RangeError(`proScore: limit must lie in (0, 1], got ${limit}`);
  const P = h * w;
  const total = maps.length * P;
  const scores = new Float64Array(total);
  const region = new Int32Array(total); // global region id + 1, or 0 for normal pixels
  const sizes: number[] = [0];
  maps.forEach((m, i) => {
    if (m.length !== P || masks[i]!.length !== P) throw new RangeError(`proScore: image ${i} needs ${P} scores and mask values`);
    const { ids, count } = labelComponents(masks[i]!, h, w);
    const base = sizes.length - 1;
    for (let c = 0; c < count; c++) sizes.push(0);
    for (let p = 0; p < P; p++) {
      const s = m[p]!;
      if (Number.isNaN(s)) throw new RangeError(`proScore: image ${i} pixel ${p} score is NaN`);
      scores[i * P + p] = s;
      if (ids[p]) { region[i * P + p] = base + ids[p]!; sizes[base + ids[p]!]!++; }
    }
  });
  const R = sizes.length - 1;
  let nNeg = 0;
  for (let k = 0; k < total; k++) if (!region[k]) nNeg++;
  if (R === 0 || nNeg === 0) throw new RangeError(`proScore: needs defect regions and normal pixels, got ${R} regions and ${nNeg} normal pixels`);
  const order = Array.from({ length: total }, (_, k) => k).sort((a, b) => scores[b]! - scores[a]!);
  const fpr = [0], overlap = [0];
  let fp = 0, ov = 0;
  for (let i = 0; i < total;) {
    const s = scores[order[i]!]!;
    while (i < total && scores[order[i]!] === s) {
      const r = region[order[i]!]!;
      if (r) ov += 1 / (R * sizes[r]!); else fp++;
      i++;
    }
    fpr.push(fp / nNeg); overlap.push(Math.min(ov, 1));
  }
  const f = Float64Array.from(fpr), o = Float64Array.from(overlap);
  return { pro: trapezoid(f, o, limit) / limit, fpr: f, overlap: o, regions: R };
}
