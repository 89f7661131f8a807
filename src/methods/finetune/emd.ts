/**
 * @module Exact earth mover's distance between two discrete distributions (a balanced transportation
 * problem), solved by successive shortest paths (min-cost flow) over the bipartite graph
 * source -> supplies -> demands -> sink, with Bellman-Ford (queue-based) on the residual graph so that
 * the negative costs of reverse edges are handled. Every augmentation saturates a supply, a demand or
 * a reverse edge, so the loop ends after finitely many steps with an optimal plan (Ahuja, Magnanti &
 * Orlin, Network Flows, ch. 9). Sizes here are tens of classes; float64 throughout.
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

/** Graph edge of the residual network (`rev` indexes the paired edge). */
interface Edge { to: number; cap: number; cost: number; rev: number; flow: number }

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
  const m = b.length;
  const total = Math.min(a.reduce((s, v) => s + v, 0), b.reduce((s, v) => s + v, 0));
  const eps = 1e-15 * Math.max(1, total);
  const S = 0;
  const T = n + m + 1;
  const g: Edge[][] = Array.from({ length: n + m + 2 }, () => []);
  const add = (u: number, v: number, cap: number, cost: number): Edge => {
    const e: Edge = { to: v, cap, cost, rev: g[v]!.length, flow: 0 };
    g[u]!.push(e);
    g[v]!.push({ to: u, cap: 0, cost: -cost, rev: g[u]!.length - 1, flow: 0 });
    return e;
  };
  for (let i = 0; i < n; i++) if (a[i]! > 0) add(S, 1 + i, a[i]!, 0);
  for (let j = 0; j < m; j++) if (b[j]! > 0) add(1 + n + j, T, b[j]!, 0);
  const mid: (Edge | null)[][] = Array.from({ length: n }, () => new Array<Edge | null>(m).fill(null));
  for (let i = 0; i < n; i++) {
    if (!(a[i]! > 0)) continue;
    for (let j = 0; j < m; j++) if (b[j]! > 0) mid[i]![j] = add(1 + i, 1 + n + j, Infinity, D[i]![j]!);
  }
  const V = g.length;
  let sent = 0;
  let augmentations = 0;
  const residual = (e: Edge): number => e.cap - e.flow;
  while (total - sent > eps) {
    // Bellman-Ford with a queue (SPFA): shortest path by cost over edges with positive residual capacity.
    const dist = new Array<number>(V).fill(Infinity);
    const prev = new Array<[number, number] | null>(V).fill(null);
    const inQ = new Array<boolean>(V).fill(false);
    const passes = new Array<number>(V).fill(0);
    dist[S] = 0;
    const q: number[] = [S];
    inQ[S] = true;
    while (q.length) {
      const u = q.shift()!;
      inQ[u] = false;
      for (let k = 0; k < g[u]!.length; k++) {
        const e = g[u]![k]!;
        if (residual(e) <= eps) continue;
        const nd = dist[u]! + e.cost;
        if (nd < dist[e.to]! - 1e-13 * Math.max(1, Math.abs(nd))) {
          dist[e.to] = nd;
          prev[e.to] = [u, k];
          if (!inQ[e.to] && ++passes[e.to]! <= V) { inQ[e.to] = true; q.push(e.to); }
        }
      }
    }
    if (prev[T] === null) break;
    let push = total - sent;
    for (let v = T; v !== S; v = prev[v]![0]) { const [u, k] = prev[v]!; push = Math.min(push, residual(g[u]![k]!)); }
    for (let v = T; v !== S; v = prev[v]![0]) {
      const [u, k] = prev[v]!;
      const e = g[u]![k]!;
      e.flow += push;
      g[e.to]![e.rev]!.flow -= push;
    }
    sent += push;
    augmentations++;
  }
  const flow = mid.map((row) => row.map((e) => (e ? Math.max(0, e.flow) : 0)));
  let distance = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) distance += flow[i]![j]! * D[i]![j]!;
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
