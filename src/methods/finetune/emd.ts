/**
 * @module Exact earth mover's distance between two discrete distributions (a balanced transportation
 * problem), solved by successive shortest paths: each step sends flow from a supply with weight left to the
 * demand with weight left that is nearest in the residual graph (forward edges i -> j at cost D_ij, reverse
 * edges j -> i at cost -D_ij where flow runs), found by Dijkstra on costs reduced by node potentials
 * (Johnson), which keep every residual cost >= 0 (Ahuja, Magnanti & Orlin, Network Flows, ch. 9). Each
 * step empties a supply, a demand or a reverse edge exactly (x - x = 0), so the loop ends, and it ends when
 * no supply or no demand is left: every demand is reachable straight from any supply with weight left.
 * Ties go to the lower index (with all costs equal the plan is the north-west corner rule), so the plan is
 * deterministic. Sizes here are tens of classes; float64 throughout.
 */

/** The optimal plan and its cost. */
export interface EmdResult {
  /** sum_ij flow_ij * D_ij at the optimum (for weights summing to 1 this is pyemd's / POT's emd2 value). */
  distance: number;
  /** The optimal transport plan [n][m] (rows: supplies a, columns: demands b). */
  flow: number[][];
  /** Augmenting paths used (for diagnostics). */
  augmentations: number;
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Checks the weights (finite, >= 0, equal totals up to 1e-9 relative) and the [n][m] cost matrix (finite, >= 0). */
function checkInputs(a: readonly number[], b: readonly number[], D: readonly (readonly number[])[]): void {
  if (!Array.isArray(a) || !Array.isArray(b) || a.length === 0 || b.length === 0) throw new RangeError('emd: weights a and b must be non-empty arrays');
  a.forEach((v, i) => { if (!isNum(v) || v < 0) throw new RangeError(`emd: a[${i}] must be a finite number >= 0, got ${v}`); });
  b.forEach((v, j) => { if (!isNum(v) || v < 0) throw new RangeError(`emd: b[${j}] must be a finite number >= 0, got ${v}`); });
  const sa = a.reduce((s, v) => s + v, 0);
  const sb = b.reduce((s, v) => s + v, 0);
  if (!(sa > 0) || Math.abs(sa - sb) > 1e-9 * Math.max(sa, sb)) throw new RangeError(`emd: the weights must have equal positive totals, got sum(a)=${sa}, sum(b)=${sb}`);
  if (!Array.isArray(D) || D.length !== a.length) throw new RangeError(`emd: the cost matrix must have ${a.length} rows, got ${Array.isArray(D) ? D.length : typeof D}`);
  D.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== b.length) throw new RangeError(`emd: cost row ${i} must have ${b.length} entries`);
    row.forEach((v, j) => { if (!isNum(v) || v < 0) throw new RangeError(`emd: cost D[${i}][${j}] must be a finite number >= 0, got ${v}`); });
  });
}

/**
 * Exact EMD between weights a [n] and b [m] (equal totals) under the ground-cost matrix D [n][m]:
 * min_F sum_ij F_ij D_ij  s.t.  F >= 0, sum_j F_ij = a_i, sum_i F_ij = b_j.
 * The value is not divided by the total mass (identical to pyemd.emd / ot.emd2 for unit totals).
 */
export function emd(a: readonly number[], b: readonly number[], D: readonly (readonly number[])[]): EmdResult {
  checkInputs(a, b, D);
  const n = a.length;
  // nodes: supply i is node i, demand j is node n + j
  const supply = [...a];
  const demand = [...b];
  const flow = a.map(() => b.map(() => 0));
  // potentials; a supply with weight left keeps 0, a row of weight 0 (no edge ever enters it) gets Infinity: harmless,
  // since nothing relaxes from a node at an infinite distance
  const pot = [...a, ...b].map(() => 0);
  let augmentations = 0;
  for (;;) {
    // Dijkstra from every supply with weight left, on reduced costs (clamped at 0 against rounding)
    const dist = [...supply.map((s) => (s > 0 ? 0 : Infinity)), ...demand.map(() => Infinity)];
    const prev = dist.map(() => -1);
    const relax = (u: number, v: number, reduced: number): void => {
      const d = dist[u]! + Math.max(0, reduced);
      if (d < dist[v]!) { dist[v] = d; prev[v] = u; }
    };
    const todo = dist.map((_, v) => v);
    while (todo.length > 0) {
      const k = todo.reduce((best, v, q) => (dist[v]! < dist[todo[best]!]! ? q : best), 0);
      const u = todo.splice(k, 1)[0]!;
      if (u < n) D[u]!.forEach((c, j) => relax(u, n + j, c + pot[u]! - pot[n + j]!));
      else flow.forEach((row, i) => { if (row[u - n]! > 0) relax(u, i, pot[u]! - pot[i]! - D[i]![u - n]!); });
    }
    dist.forEach((d, v) => { pot[v]! += d; });
    // the nearest demand with weight left (its potential is now its true distance); none once either side is empty
    let t = -1;
    let best = Infinity;
    demand.forEach((w, j) => { if (w > 0 && pot[n + j]! < best) { best = pot[n + j]!; t = j; } });
    if (t < 0) break;
    const path = [n + t];
    while (prev[path[0]!]! >= 0) path.unshift(prev[path[0]!]!);
    const steps = path.slice(1).map((v, k) => [path[k]!, v] as const); // u -> v; v < n: a reverse edge
    const push = Math.min(supply[path[0]!]!, demand[t]!, ...steps.filter(([, v]) => v < n).map(([u, v]) => flow[v]![u - n]!));
    supply[path[0]!]! -= push;
    demand[t]! -= push;
    for (const [u, v] of steps) {
      if (v < n) flow[v]![u - n]! -= push;
      else flow[u]![v - n]! += push;
    }
    augmentations++;
  }
  const distance = flow.reduce((s, row, i) => s + row.reduce((r, f, j) => r + f * D[i]![j]!, 0), 0);
  return { distance, flow, augmentations };
}

/** Euclidean distances between the rows of X [n][d] and Y [m][d] (float64; sklearn's euclidean_distances). */
export function euclideanDistances(X: readonly (readonly number[])[], Y: readonly (readonly number[])[]): number[][] {
  return X.map((x, i) => Y.map((y, j) => {
    if (x.length !== y.length) throw new RangeError(`euclideanDistances: row ${i} has ${x.length} dims, row ${j} of Y has ${y.length}`);
    let s = 0;
    for (let k = 0; k < x.length; k++) { const d = x[k]! - y[k]!; s += d * d; }
    return Math.sqrt(s);
  }));
}
