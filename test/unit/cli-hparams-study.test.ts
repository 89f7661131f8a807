/** `adaptune hparams --collect / --recommend`: flag parsing, the study file (read, checked, built from cell directories), the advice, and a recommendation end to end on a tiny synthetic study. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHparams } from '../../src/cli/hparams.js';
import { CliError } from '../../src/cli/flags.js';
import { ConfigError } from '../../src/core/errors.js';
import { adviseTarget, buildStudy, defaultStudyPath, formatRecommendation, readCells, readStudy, recommendFromStudy, runRecommend, STUDY_FORMAT, type Study, type StudyCell } from '../../src/methods/finetune/study.js';
import type { SimilarityReport } from '../../src/cli/similarity.js';
import { studySvg } from '../../src/methods/finetune/study-plot.js';
import { bestElrOnValidation, meanStd, spearman, studyTables } from '../../src/methods/finetune/study-tables.js';

const names = (flag: string) => (e: unknown): boolean => e instanceof CliError && (e as Error).message.includes(flag);
const dir = mkdtempSync(join(tmpdir(), 'adaptune-study-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

/** Cells at the given elr -> accuracy (momentum 0.9, seed 0, plain L2). */
const cells = (acc: Record<string, number>, extra: StudyCell[] = []): StudyCell[] => [
  ...Object.entries(acc).map(([e, a]) => ({ elr: Number(e), momentum: 0.9, lr: Number(e) / 10, regularizer: 'l2', seed: 0, testAccuracy: a })), ...extra,
];
/** A tiny synthetic study: a similar target whose best elr is small, a dissimilar one whose best elr is large. */
function study(similarity: { near: number; far: number; gamma?: number; perClassMax?: number }): Study {
  return {
    format: STUDY_FORMAT, labelsPerClass: 100, epochs: 3, backbone: { weights: 'w.safetensors', sha256: 'x' },
    similarity: { source: 'fmnist:source', tap: 'pool', gamma: similarity.gamma ?? 0.1, gammaRule: 'auto', sourceSpread: 10, perClassMax: similarity.perClassMax ?? 500 },
    targets: [
      { target: 'fmnist:target-mid', emd: 1, similarity: similarity.near, cells: cells({ 0.01: 0.90, 0.03: 0.895, 0.1: 0.85 }, [
        { elr: 0.01, momentum: 0.9, lr: 0.001, regularizer: 'l2-sp', seed: 0, testAccuracy: 0.92 },
        { elr: 0.01, momentum: 0, lr: 0.01, regularizer: 'l2', seed: 0, testAccuracy: 0.70 },
      ]) },
      { target: 'textures:target-far', emd: 5, similarity: similarity.far, cells: cells({ 0.01: 0.5, 0.1: 0.7, 0.3: 0.8 }, [
        { elr: 0.3, momentum: 0.9, lr: 0.03, regularizer: 'l2', seed: 1, testAccuracy: 0.76 },
        { elr: 0.3, momentum: 0.9, lr: 0.03, regularizer: 'l2-sp', seed: 1, testAccuracy: 0.74 },
      ]) },
    ],
  };
}

test('parseHparams study modes: --collect needs --study, --recommend needs --data, stray flags and both modes are errors', () => {
  const c = parseHparams(['--collect', 'a, b', '--study', 's.json', '--gamma', '0.5', '--tap', 'layer2', '--per-class-max', '0']);
  assert.ok(c !== 'help' && 'mode' in c && c.mode === 'collect');
  assert.deepEqual(c.dirs, ['a', 'b']);
  assert.equal(c.gamma, 0.5);
  assert.equal(c.tap, 'layer2');
  assert.equal(c.perClassMax, null);
  const r = parseHparams(['--recommend', '--data', 'fmnist:target-shift', '--tolerance', '2']);
  assert.ok(r !== 'help' && 'mode' in r && r.mode === 'recommend');
  assert.equal(r.tolerance, 0.02);
  assert.equal(r.study, null);
  assert.throws(() => parseHparams(['--collect', 'a']), names('--study'));
  assert.throws(() => parseHparams(['--recommend']), names('--data'));
  assert.throws(() => parseHparams(['--recommend', '--data', 'x:y']), names('--data'));
  assert.throws(() => parseHparams(['--recommend', '--data', 'fmnist:target-mid', '--elr', '0.1']), names('--elr'));
  assert.throws(() => parseHparams(['--recommend', '--data', 'fmnist:target-mid', '--tolerance', '-1']), names('--tolerance'));
  assert.throws(() => parseHparams(['--collect', 'a', '--study', 's', '--recommend']), names('--collect and --recommend'));
  assert.throws(() => parseHparams(['--tolerance', '1']), names('--tolerance'));
  assert.match(defaultStudyPath(), /docs[/\\]results[/\\]hparams[/\\]study\.json$/);
});

test('adviseTarget: best elr over momenta (seed means), the range within the tolerance, L2-SP minus L2 on matched cells', () => {
  const s = study({ near: 0.8, far: 0.3 });
  const near = adviseTarget(s.targets[0]!, 0.01);
  assert.equal(near.bestElr, 0.01);
  assert.deepEqual(near.elrRange, [0.01, 0.03]);
  assert.equal(near.scores[0]!.momentum, 0.9, 'the better momentum at elr 0.01 is kept');
  assert.ok(Math.abs(near.l2spMinusL2! - 0.02) < 1e-12);
  assert.equal(near.pairs, 1);
  assert.deepEqual(adviseTarget(s.targets[0]!, 0).elrRange, [0.01, 0.01]);
  const far = adviseTarget(s.targets[1]!, 0.01);
  assert.equal(far.bestElr, 0.3);
  assert.equal(far.scores[2]!.seeds, 2);
  assert.ok(Math.abs(far.scores[2]!.mean - 0.78) < 1e-12 && Math.abs(far.scores[2]!.spread - 0.04) < 1e-12);
  assert.ok(Math.abs(far.l2spMinusL2! - -0.02) < 1e-12, 'matched on elr, momentum and seed');
  assert.equal(near.selectedOn, 'test', 'a study without validation accuracies says it ranked on test');
  // with validation accuracies the ranking uses them only: validation prefers elr 0.03 although test prefers 0.01
  const t = structuredClone(s.targets[0]!);
  for (const c of t.cells) c.valAccuracy = c.elr === 0.03 ? 0.99 : 0.5;
  const v = adviseTarget(t, 0.01);
  assert.deepEqual([v.selectedOn, v.bestElr, v.elrRange], ['validation', 0.03, [0.03, 0.03]]);
});

test('recommendFromStudy: the nearest study target in similarity; flags extrapolation', () => {
  const s = study({ near: 0.8, far: 0.3 });
  const a = recommendFromStudy(s, { data: 'fmnist:target-shift', emd: 2, similarity: 0.7 }, 0.01);
  assert.equal(a.nearest.target, 'fmnist:target-mid');
  assert.ok(Math.abs(a.distance - 0.1) < 1e-12);
  assert.equal(a.outside, false);
  const b = recommendFromStudy(s, { data: 'fmnist:target-shift', emd: 9, similarity: 0.1 }, 0.01);
  assert.equal(b.nearest.target, 'textures:target-far');
  assert.equal(b.outside, true);
  assert.deepEqual(b.targets.map((t) => t.target), ['fmnist:target-mid', 'textures:target-far']);
  const text = formatRecommendation({ ...b, backboneMatches: false, study: 'x.json' });
  assert.match(text, /effective learning rate: best 0\.3, range 0\.3 - 0\.3/);
  assert.match(text, /outside the study's similarity range/);
  assert.match(text, /not the study's backbone/);
  assert.match(text, /regularizer: L2 \(L2-SP - L2 = -2\.0 points over 1 matched cell/);
});

test('readStudy checks the file and names the field; readCells + buildStudy gather completed cells by target', () => {
  const f = join(dir, 'bad.json');
  writeFileSync(f, JSON.stringify({ ...study({ near: 0.8, far: 0.3 }), format: 'x' }));
  assert.throws(() => readStudy(f), (e: unknown) => e instanceof ConfigError && /field 'format'/.test((e as Error).message));
  const s = study({ near: 0.8, far: 1.5 });
  writeFileSync(f, JSON.stringify(s));
  assert.throws(() => readStudy(f), /field 'targets\[1\]'/);
  writeFileSync(f, '{');
  assert.throws(() => readStudy(f), ConfigError);
  // two grid directories: completed cells (two targets, two seeds), an interrupted one, a stray file
  const write = (grid: string, id: string, summary: Record<string, unknown>, config: Record<string, unknown>): void => {
    mkdirSync(join(dir, grid, id), { recursive: true });
    writeFileSync(join(dir, grid, id, 'summary.json'), JSON.stringify(summary));
    writeFileSync(join(dir, grid, id, 'config.json'), JSON.stringify(config));
  };
  const cell = (data: string, elr: number, acc: number) => ({ status: 'completed', data, elr, momentum: 0.9, lr: elr / 10, regularizer: 'l2', testAccuracy: acc, labelsPerClass: 100 });
  write('g0', 'elr0.1-m0.9-l2', cell('fmnist:target-mid', 0.1, 0.9), { seed: 0, epochs: 3 });
  write('g0', 'elr0.3-m0.9-l2', { status: 'running' }, { seed: 0, epochs: 3 });
  write('g1', 'elr0.1-m0.9-l2', cell('fmnist:target-mid', 0.1, 0.8), { seed: 1, epochs: 3 });
  write('g1', 'elr0.3-m0.9-l2', { ...cell('fmnist:target-mid', 0.3, 0.99), status: 'interrupted' }, { seed: 1, epochs: 3 }); // has a test accuracy, but did not complete
  write('g1', 'elr1-m0.9-l2', { ...cell('fmnist:target-mid', 1, 0.99), testAccuracy: '0.99' }, { seed: 1, epochs: 3 }); // completed, accuracy not a number
  write('g2', 'elr0.3-m0.9-l2', cell('textures:target-far', 0.3, 0.7), { seed: 0, epochs: 3 });
  writeFileSync(join(dir, 'g0', 'results.md'), '');
  const got = readCells([join(dir, 'g0'), join(dir, 'g1'), join(dir, 'g2')]);
  assert.equal(got.epochs, 3);
  assert.deepEqual(got.byTarget.get('fmnist:target-mid')!.map((c) => [c.seed, c.testAccuracy]), [[0, 0.9], [1, 0.8]]);
  const sim: SimilarityReport = {
    source: 'fmnist:source', sourceImages: 10, tap: 'pool', gamma: 0.2, gammaRule: 'auto', sourceSpread: 5, featureDim: 64, perClassMax: 2, weights: '/a/w.safetensors', elapsedSec: 0,
    rows: [{ target: 'fmnist:target-mid', emd: 1, similarity: Math.exp(-0.2), images: 10, classes: 5 }, { target: 'textures:target-far', emd: 2, similarity: Math.exp(-0.4), images: 10, classes: 5 }],
  };
  const built = buildStudy(got, sim, 'abc');
  writeFileSync(f, JSON.stringify(built));
  assert.deepEqual(readStudy(f), built);
  assert.equal(built.backbone.weights, 'w.safetensors');
  assert.equal(built.targets[1]!.cells.length, 1);
  // swept coefficients: a cell keeps its strength (old cells get the default); the advice uses the defaults only
  write('g4', 'elr0.1-m0.9-l2', cell('fmnist:target-near', 0.1, 0.6), { seed: 0, epochs: 3 });
  write('g4', 'elr0.1-m0.9-l2-wd0.1', { ...cell('fmnist:target-near', 0.1, 0.99), strength: 0.1 }, { seed: 0, epochs: 3 });
  write('g4', 'elr0.3-m0.9-l2-sp-a1', { ...cell('fmnist:target-near', 0.3, 0.99), regularizer: 'l2-sp', strength: 1 }, { seed: 0, epochs: 3 });
  const k = readCells([join(dir, 'g4')]).byTarget.get('fmnist:target-near')!;
  assert.deepEqual(k.map((c) => [c.regularizer, c.strength, c.elr]), [['l2', 1e-4, 0.1], ['l2', 0.1, 0.1], ['l2-sp', 1, 0.3]]);
  const adv = adviseTarget({ target: 'fmnist:target-near', emd: 1, similarity: 0.9, cells: k }, 0.01);
  assert.deepEqual([adv.bestElr, adv.scores.length, adv.scores[0]!.mean, adv.pairs], [0.1, 1, 0.6, 0], 'the wd 0.1 cell and the alpha 1 cell do not enter the advice');
  write('g3', 'elr0.1-m0-l2', cell('fmnist:target-mid', 0.1, 0.5), { seed: 0, epochs: 5 });
  assert.throws(() => readCells([join(dir, 'g0'), join(dir, 'g3')]), /mix epochs \(3, 5\)/);
  assert.throws(() => readCells([join(dir, 'nope')]), /no such directory/);
});

test('runRecommend on a tiny synthetic study: computes the similarity with the study\'s source, tap and gamma', async () => {
  const f = join(dir, 'tiny.json');
  writeFileSync(f, JSON.stringify(study({ near: 0.99, far: 0.01, gamma: 1e-3, perClassMax: 4 })));
  const r = await runRecommend({ mode: 'recommend', data: 'fmnist:target-mid', study: f, weights: null, tolerance: 0.01, json: false }, () => {});
  assert.ok(r.emd > 0);
  assert.ok(Math.abs(r.similarity - Math.exp(-1e-3 * r.emd)) < 1e-12, 'the study\'s gamma is used');
  assert.equal(r.nearest.target, 'fmnist:target-mid', `similarity ${r.similarity} is nearest the 0.99 target`);
  assert.deepEqual(r.nearest.elrRange, [0.01, 0.03]);
  assert.equal(r.backboneMatches, false);
  await assert.rejects(runRecommend({ mode: 'recommend', data: 'fmnist:target-mid', study: join(dir, 'none.json'), weights: null, tolerance: 0.01, json: false }, () => {}), /no study file/);
});

test('studySvg: one panel per target plus best elr vs similarity; a line per momentum, L2-SP squares, seed bars; well-formed tags', () => {
  const svg = studySvg(study({ near: 0.8, far: 0.3 }));
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="900"/);
  assert.equal((svg.match(/<polyline /g) ?? []).length, 3, 'mid: m=0 and m=0.9 lines (one point each is still a polyline); far: m=0.9');
  assert.equal((svg.match(/<rect x=[^>]*stroke="#000"/g) ?? []).length, 2, 'an L2-SP square per target');
  assert.equal((svg.match(/<line x1="([\d.]+)" x2="\1" y1/g) ?? []).length, 1, 'one min..max bar (far, elr 0.3, two seeds)');
  assert.match(svg, /best elr vs similarity/);
  assert.doesNotMatch(svg, /NaN|undefined/);
  // every drawn coordinate lies inside the picture (the data -> pixel maps go from the axes' low ends towards their high ends)
  const [W, H] = svg.match(/width="([\d.]+)" height="([\d.]+)"/)!.slice(1).map(Number) as [number, number];
  const xs = [...svg.matchAll(/\b(?:x|x1|x2|cx)="(-?[\d.]+)"/g)].map((m) => Number(m[1]));
  const ys = [...svg.matchAll(/\b(?:y|y1|y2|cy)="(-?[\d.]+)"/g)].map((m) => Number(m[1]));
  for (const pts of svg.matchAll(/points="([^"]+)"/g)) for (const pt of pts[1]!.trim().split(/\s+/)) { const [x, y] = pt.split(',').map(Number); xs.push(x!); ys.push(y!); }
  assert.ok(xs.length > 20 && ys.length > 20);
  assert.ok(xs.every((x) => x >= 0 && x <= W) && ys.every((y) => y >= 0 && y <= H), `x in [${Math.min(...xs)}, ${Math.max(...xs)}] of ${W}, y in [${Math.min(...ys)}, ${Math.max(...ys)}] of ${H}`);
  const open = (svg.match(/<(text|svg)\b/g) ?? []).length, close = (svg.match(/<\/(text|svg)>/g) ?? []).length;
  assert.equal(open, close);
});

test('studyTables: mean ± sample std, best elr on validation (not test), Spearman with ties, the coefficient sweep paired by seed', () => {
  const m = meanStd([1, 2, 3, 4]);
  assert.ok(m.mean === 2.5 && Math.abs(m.std - Math.sqrt(5 / 3)) < 1e-12 && m.n === 4, 'sample std (n - 1)');
  assert.ok(Number.isNaN(meanStd([1]).std));
  assert.equal(spearman([1, 2, 3], [30, 20, 10]), -1);
  assert.ok(Math.abs(spearman([1, 2, 3, 4], [1, 1, 2, 3]) - 0.9486832980505138) < 1e-12, 'ties get average ranks');
  assert.ok(Number.isNaN(spearman([1, 2, 3], [5, 5, 5])), 'a constant best elr has no rank correlation');
  const s = study({ near: 0.8, far: 0.3 });
  const [near, far] = s.targets;
  // validation prefers 0.03 on the near target although test prefers 0.01; seeds 0 and 1
  for (const c of near!.cells) c.valAccuracy = c.elr === 0.03 ? 0.95 : 0.5;
  near!.cells.push({ elr: 0.03, momentum: 0.9, lr: 0.003, regularizer: 'l2', seed: 1, testAccuracy: 0.885, valAccuracy: 0.93 });
  for (const c of far!.cells) c.valAccuracy = c.testAccuracy;
  far!.cells.push({ elr: 0.3, momentum: 0.9, lr: 0.03, regularizer: 'l2-sp', strength: 1, seed: 1, testAccuracy: 0.70, valAccuracy: 0.7 });
  assert.deepEqual(bestElrOnValidation(near!, 0.9)!.elr, 0.03);
  const md = studyTables(s);
  assert.match(md, /\| fmnist:target-mid \| 0\.800 \| 0\.03 \| 94\.00 \| 89\.00 ± 0\.71 \(2\) \|/, 'best on validation, reported with its test mean ± sample std');
  assert.match(md, /\| textures:target-far \| 0\.300 \| 0\.3 \|/);
  assert.match(md, /Spearman rank correlation between similarity and best elr over 2 targets: -1\.000/);
  assert.match(md, /\| 0\.3 \| 0\.9 \| l2-sp \| 1 \| 70\.00 \(1\) \| 70\.00 \(1\) \| -6\.00 \(1\) \|/, 'L2-SP alpha 1 minus L2 of the same seed');
  assert.doesNotMatch(md, /NaN|undefined/);
});

test("the study's default coefficients are adaptune finetune's (L2-SP alpha, L2 weight decay)", async () => {
  const { DEFAULT_STRENGTH } = await import('../../src/methods/finetune/study.js');
  const { defaultFinetuneConfig } = await import('../../src/methods/finetune/config.js');
  assert.deepEqual(DEFAULT_STRENGTH, { 'l2-sp': defaultFinetuneConfig.alpha, l2: defaultFinetuneConfig.weightDecay });
});
