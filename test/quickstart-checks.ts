/** The checks of a `quickstart --quick --labels-per-class 10` run (README library example; test/methods/library-examples.test.ts). */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatResults, type QuickstartResult } from '../src/recipes/quickstart.js';
import { QUICKSTART_PLANS } from '../src/methods/finetune/index.js';
import { bundledBackbonePath, sha256File } from '../src/models/index.js';

/** Five strategies, a table, a run directory with sub-runs, robustness of the best, best.onnx, summary.json and results.md. */
export function checkQuickQuickstart(r: QuickstartResult, out: string): void {
  assert.deepEqual(r.rows.map((x) => x.id), QUICKSTART_PLANS.map((p) => p.id));
  assert.deepEqual(r.rows.map((x) => x.id), ['linear-probe', 'full', 'full-l2sp', 'adafilter', 'scratch']);
  for (const row of r.rows) {
    assert.equal(row.steps, 3, row.id);
    assert.ok(row.testAccuracy >= 0 && row.testAccuracy <= 1, row.id);
    assert.ok(row.trainSec >= 0 && row.evalSec >= 0, row.id);
    assert.ok(existsSync(join(out, row.id, 'config.json')) && existsSync(join(out, row.id, 'summary.json')), row.id);
  }
  assert.equal(r.testImages, 500);
  assert.equal(r.trainImages, 50);
  assert.equal(r.backbone.sha256, sha256File(bundledBackbonePath()));
  const md = readFileSync(join(out, 'results.md'), 'utf8');
  assert.equal(md, formatResults(r));
  assert.equal(md.split('\n').filter((l) => l.startsWith('| ')).length, 1 + 5, 'header + 5 rows');
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { rows: unknown[] };
  assert.equal(summary.rows.length, 5);
  // the best plain fine-tuned row (by test accuracy) is attacked and exported
  const plain = r.rows.filter((x) => x.id !== 'scratch' && x.id !== 'adafilter');
  const best = plain.reduce((b, x) => (x.testAccuracy > b.testAccuracy ? x : b));
  assert.equal(r.robustness!.strategy, best.id);
  assert.equal(r.robustness!.images, 100);
  assert.equal(r.robustness!.pgd.steps, 3);
  assert.ok(r.robustness!.pgd.accuracy <= r.robustness!.clean + 1e-9, 'PGD accuracy never above clean');
  assert.equal(r.export!.strategy, best.id);
  assert.ok(r.export!.ok && r.export!.maxAbsDiff < 1e-4 && existsSync(join(out, 'best.onnx')));
  assert.ok(existsSync(join(out, best.id, 'weights.safetensors')) && !existsSync(join(out, 'adafilter', 'weights.safetensors')));
  assert.match(md, /Robustness of .* FGSM .* PGD-3/);
  assert.deepEqual(JSON.parse(JSON.stringify(r)), summary, 'the --json object is the summary');
}
