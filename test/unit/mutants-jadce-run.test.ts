/** jadce's early stopping cadence and the sweep's plots: fast tests for the jadce-run mutation area. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import { ListaGS, Simulator, disposeSlots, runJadceSweep, trainUnrolled, validateJadceConfig } from '../../src/methods/jadce/index.js';

torch.setNumThreads(1);

test('trainUnrolled validates the final stage before it starts, every evalEvery steps and at its last step (7 steps, every 3: steps 0, 3, 6, 7)', () => {
  const cfg = validateJadceConfig({
    scenario: { devices: 20, antennas: 2, pilotLength: 8, activity: 0.1, snrDb: 15 }, baselines: { listaLayers: 2, ampIterations: 5, istaIterations: 5 }, net: { layers: 2 },
    train: { schedule: 'end-to-end', innerSteps: 0, outerSteps: 0, finalSteps: 7, batch: 4, lr: 0.01, lrFine: 0.003, valSlots: 4, evalEvery: 3, patience: 100 },
  });
  const sim = new Simulator(cfg.scenario, 1, 0);
  const model = new ListaGS(2, 'full', sim.phi, 0.3, 10);
  const val = { batches: [new Simulator(cfg.scenario, 5, 0).sample(4)] };
  const log = trainUnrolled(model, sim, cfg.train, () => {}, val);
  const fin = log.find((l) => l.stage === 'final')!;
  assert.deepEqual(fin.val!.map((v) => v.step), [0, 3, 6, 7]);
  disposeSlots(val.batches[0]!, true);
});

test('jadce sweep plots: the four curves and one ROC per point, every coordinate inside the picture', () => {
  const root = mkdtempSync(join(tmpdir(), 'jadce-plots-'));
  try {
    const out = join(root, 'sweep');
    const ov = { scenario: { devices: 20, antennas: 2, pilotLength: 8, activity: 0.1, snrDb: 15 }, baselines: { listaLayers: 2, ampIterations: 5, istaIterations: 5 }, net: { layers: 2 } };
    runJadceSweep(ov as never, { pilotLengths: [6, 8], snrs: [10, 15], fixedSnr: 15, fixedPilotLength: 8, seeds: [0], methods: ['amp'], slots: 4, batch: 4, out });
    for (const f of ['nmse-vs-L.svg', 'pe-vs-L.svg', 'nmse-vs-snr.svg', 'pe-vs-snr.svg', 'roc-L6-snr15.svg', 'roc-L8-snr10.svg', 'roc-L8-snr15.svg']) {
      assert.ok(existsSync(join(out, f)), f);
      const svg = readFileSync(join(out, f), 'utf8');
      const [W, H] = svg.match(/width="([\d.]+)" height="([\d.]+)"/)!.slice(1).map(Number) as [number, number];
      const xs = [...svg.matchAll(/\b(?:x|x1|x2|cx)="(-?[\d.e+-]+)"/g)].map((m) => Number(m[1]));
      const ys = [...svg.matchAll(/\b(?:y|y1|y2|cy)="(-?[\d.e+-]+)"/g)].map((m) => Number(m[1]));
      for (const pts of svg.matchAll(/points="([^"]+)"/g)) for (const pt of pts[1]!.trim().split(/\s+/)) { const [x, y] = pt.split(',').map(Number); xs.push(x!); ys.push(y!); }
      assert.ok(xs.every((x) => x >= 0 && x <= W) && ys.every((y) => y >= 0 && y <= H), `${f}: x in [${Math.min(...xs)}, ${Math.max(...xs)}] of ${W}, y in [${Math.min(...ys)}, ${Math.max(...ys)}] of ${H}`);
    }
    // the y axis: 5 grid lines evenly spaced from the plot's top to the x axis
    for (const f of ['nmse-vs-L.svg', 'roc-L8-snr15.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      const grid = [...svg.matchAll(/<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="[\d.]+" stroke="#ddd"\/>/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
      const axisY = Number(svg.match(/<line x1="[\d.]+" y1="([\d.]+)" x2="[\d.]+" y2="[\d.]+" stroke="black"\/>/)![1]);
      assert.equal(grid.length, 5, f);
      const step = (grid[4]! - grid[0]!) / 4;
      assert.ok(step > 10 && grid.every((y, k) => Math.abs(y - (grid[0]! + k * step)) < 1e-6) && Math.abs(grid[4]! - axisY) < 1e-6, `${f}: grid lines at ${grid}, x axis at ${axisY}`);
    }
    // each ROC has a curve per method
    for (const f of ['roc-L6-snr15.svg', 'roc-L8-snr10.svg', 'roc-L8-snr15.svg']) assert.equal((readFileSync(join(out, f), 'utf8').match(/<polyline /g) ?? []).length, 1, `${f}: the amp curve`);
    // the curves against L are drawn at the fixed SNR, those against SNR at the fixed L: two points each
    for (const f of ['nmse-vs-L.svg', 'pe-vs-L.svg', 'nmse-vs-snr.svg', 'pe-vs-snr.svg']) {
      const pts = readFileSync(join(out, f), 'utf8').match(/points="([^"]+)"/)?.[1]?.trim().split(/\s+/) ?? [];
      assert.equal(pts.length, 2, f);
    }
  } finally { rmSync(root, { recursive: true, force: true }); }
});
