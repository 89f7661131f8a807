/**
 * @module A study's numbers as markdown tables (`adaptune hparams --collect` writes them beside the study file as
 * FILE.md): mean ± sample standard deviation over seeds of validation and test accuracy per cell; the elr x momentum
 * grid per target; the best elr per target chosen on validation (seed means) with Spearman's rank correlation
 * between similarity and best elr; and the regularizer sweep (L2 / L2-SP at each coefficient, paired by seed).
 * Test accuracy is reported, never used to choose. No native code.
 */
import { atDefault, strengthOf, type Study, type StudyCell, type StudyTarget } from './study.js';

/** Mean and sample standard deviation (n - 1; NaN for one value). */
export function meanStd(xs: number[]): { mean: number; std: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const std = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : NaN;
  return { mean, std, n };
}

/** Average ranks (1-based; ties share their mean rank). */
function ranks(xs: number[]): number[] {
  const idx = xs.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const r = new Array<number>(xs.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && idx[j + 1]![0] === idx[i]![0]) j++;
    for (let k = i; k <= j; k++) r[idx[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation (Pearson's on average ranks); NaN when either side is constant or n < 2. */
export function spearman(x: number[], y: number[]): number {
  const rx = ranks(x), ry = ranks(y);
  const mx = rx.reduce((a, b) => a + b, 0) / rx.length, my = ry.reduce((a, b) => a + b, 0) / ry.length;
  let sxy = 0, sxx = 0, syy = 0;
  rx.forEach((v, i) => { sxy += (v - mx) * (ry[i]! - my); sxx += (v - mx) ** 2; syy += (ry[i]! - my) ** 2; });
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** "mean ± std (n)" in percent; one seed shows no spread. */
export function fmtPct(xs: number[]): string {
  if (!xs.length) return '-';
  const s = meanStd(xs.map((x) => 100 * x));
  return `${s.mean.toFixed(2)}${s.n > 1 ? ` ± ${s.std.toFixed(2)}` : ''} (${s.n})`;
}

const val = (c: StudyCell): number | null => (typeof c.valAccuracy === 'number' ? c.valAccuracy : null);
const sorted = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** The best elr of a target on validation (seed means of plain L2 at the default coefficient, momentum m), with every elr's seed mean. */
export function bestElrOnValidation(t: StudyTarget, momentum: number): { elr: number; val: number; test: number[] } | null {
  const cells = t.cells.filter((c) => c.regularizer === 'l2' && atDefault(c) && c.momentum === momentum && val(c) !== null);
  if (!cells.length) return null;
  const per = sorted(cells.map((c) => c.elr)).map((elr) => {
    const at = cells.filter((c) => c.elr === elr);
    return { elr, val: meanStd(at.map((c) => val(c)!)).mean, test: at.map((c) => c.testAccuracy) };
  });
  return per.reduce((a, b) => (b.val > a.val ? b : a));
}

/** The study's tables (markdown). */
export function studyTables(study: Study, momentum = 0.9): string {
  const targets = [...study.targets].sort((a, b) => b.similarity - a.similarity);
  const out: string[] = [`# Study tables: ${study.epochs} epochs, ${study.labelsPerClass} labels/class`, '',
    'Accuracy (%) as mean ± sample std (number of seeds). Validation accuracy is the selection split; test accuracy is measured once per cell at its end and never used to choose.', ''];
  out.push('## Similarity', '', '| target | EMD | similarity |', '|---|---:|---:|', ...targets.map((t) => `| ${t.target} | ${t.emd.toFixed(3)} | ${t.similarity.toFixed(3)} |`), '');
  out.push('## Plain L2 (default coefficient), elr x momentum', '');
  for (const t of targets) {
    const l2 = t.cells.filter((c) => c.regularizer === 'l2' && atDefault(c));
    if (!l2.length) continue;
    const ms = sorted(l2.map((c) => c.momentum));
    out.push(`### ${t.target} (similarity ${t.similarity.toFixed(3)})`, '', `| elr | ${ms.map((m) => `m=${m} val | m=${m} test`).join(' | ')} |`, `|---|${ms.map(() => '---:|---:').join('|')}|`);
    for (const e of sorted(l2.map((c) => c.elr))) {
      out.push(`| ${e} | ${ms.map((m) => { const at = l2.filter((c) => c.elr === e && c.momentum === m); return `${fmtPct(at.flatMap((c) => (val(c) === null ? [] : [val(c)!])))} | ${fmtPct(at.map((c) => c.testAccuracy))}`; }).join(' | ')} |`);
    }
    out.push('');
  }
  const best = targets.map((t) => ({ t, b: bestElrOnValidation(t, momentum) })).filter((x) => x.b !== null);
  out.push(`## Best elr per target (momentum ${momentum}, chosen on validation seed means)`, '', '| target | similarity | best elr | its validation | its test |', '|---|---:|---:|---:|---:|');
  for (const { t, b } of best) out.push(`| ${t.target} | ${t.similarity.toFixed(3)} | ${b!.elr} | ${(100 * b!.val).toFixed(2)} | ${fmtPct(b!.test)} |`);
  const rho = spearman(best.map((x) => x.t.similarity), best.map((x) => x.b!.elr));
  out.push('', `Spearman rank correlation between similarity and best elr over ${best.length} targets: ${Number.isNaN(rho) ? 'undefined (a constant side)' : rho.toFixed(3)} (Li et al. predict a negative one: more similar, smaller elr).`, '');
  const sweptTargets = targets.filter((t) => t.cells.some((c) => !atDefault(c)));
  if (sweptTargets.length) {
    out.push('## Regularizer sweep', '', 'Each row: one regularizer and coefficient at one elr and momentum; Δ = minus plain L2 at its default coefficient (1e-4), paired by seed.', '');
    for (const t of sweptTargets) {
      out.push(`### ${t.target} (similarity ${t.similarity.toFixed(3)})`, '', '| elr | m | regularizer | coefficient | validation | test | Δ test vs L2 1e-4 |', '|---:|---:|---|---:|---:|---:|---:|');
      const keys = [...new Map(t.cells.map((c) => [`${c.elr}|${c.momentum}|${c.regularizer}|${strengthOf(c)}`, c])).values()];
      const swept = new Set(t.cells.filter((c) => !atDefault(c)).map((c) => `${c.elr}|${c.momentum}`));
      const settings = keys.filter((c) => swept.has(`${c.elr}|${c.momentum}`));
      for (const k of settings.sort((a, b) => a.elr - b.elr || a.momentum - b.momentum || a.regularizer.localeCompare(b.regularizer) || strengthOf(a) - strengthOf(b))) {
        const at = t.cells.filter((c) => c.elr === k.elr && c.momentum === k.momentum && c.regularizer === k.regularizer && strengthOf(c) === strengthOf(k));
        const d = at.flatMap((c) => { const base = t.cells.find((x) => x.regularizer === 'l2' && atDefault(x) && x.elr === c.elr && x.momentum === c.momentum && x.seed === c.seed); return base ? [c.testAccuracy - base.testAccuracy] : []; });
        const ds = d.length ? meanStd(d.map((x) => 100 * x)) : null;
        out.push(`| ${k.elr} | ${k.momentum} | ${k.regularizer} | ${strengthOf(k)} | ${fmtPct(at.flatMap((c) => (val(c) === null ? [] : [val(c)!])))} | ${fmtPct(at.map((c) => c.testAccuracy))} | ${ds ? `${ds.mean >= 0 ? '+' : ''}${ds.mean.toFixed(2)}${ds.n > 1 ? ` ± ${ds.std.toFixed(2)}` : ''} (${ds.n})` : '-'} |`);
      }
      out.push('');
    }
  }
  return out.join('\n') + '\n';
}
