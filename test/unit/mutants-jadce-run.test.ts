/** jadce's early stopping cadence and the sweep's plots: fast tests for the jadce-run mutation area. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import { ListaGS, Simulator, disposeSlots, macsPerSlot, runJadceSweep, summarize, trainUnrolled, validateJadceConfig } from '../../src/methods/jadce/index.js';
import { linePlot } from '../../src/methods/jadce/plot.js';

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
  assert.ok(fin.val!.every((v) => Number.isFinite(v.nmseDb) && v.nmseDb < 20), `validation NMSE in dB: ${fin.val!.map((v) => v.nmseDb)}`);
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

test('macsPerSlot: real multiply-adds of each baseline by the documented counts (a complex MAC = 4 real), on N = 10, L = 4, M = 2', () => {
  const cfg = validateJadceConfig({
    scenario: { devices: 10, antennas: 2, pilotLength: 4, activity: 0.1, snrDb: 15 }, baselines: { listaLayers: 2, ampIterations: 3, istaIterations: 5, ampOnsager: 'scalar' }, net: { layers: 2 },
  });
  // AMP: T 2NLD x 4 with D = M: 4 x 3 x (2 x 10 x 4 x 2) = 1920; ISTA/FISTA: 4 x 5 x 2NLM = 3200; LISTA: 4 x 2 x 2NLM = 1280
  assert.deepEqual(['amp', 'em-amp', 'ista', 'fista', 'lista'].map((m) => macsPerSlot(m as never, cfg, 2)), [1920, 1920, 3200, 3200, 1280]);
  const matrix = validateJadceConfig({ ...cfg, baselines: { ...cfg.baselines, ampOnsager: 'matrix' } });
  // with the matrix Onsager term: T (2NLD + ND^2 + LD^2) x 4 = 4 x 3 x (160 + 40 + 16) = 2592
  assert.equal(macsPerSlot('amp', matrix, 2), 2592);
  // the network (2 layers, rank D = 1, scalar Onsager): SVD of Y 4 (LM^2 + M^3 + LMD) = 4 (16 + 8 + 8) = 128, its AMP layers
  // 4 x 2 x 2NLD = 640, then the LMMSE re-estimate 4 (L^2 N + L^3 / 3 + NLM) = 4 (160 + 64/3 + 80) or the network channel 4 NDM = 80
  assert.ok(Math.abs(macsPerSlot('net', cfg, 1) - (128 + 640 + 4 * (160 + 64 / 3 + 80))) < 1e-9);
  assert.ok(Math.abs(macsPerSlot('net-nodr', cfg, 1) - (640 + 4 * (160 + 64 / 3 + 80))) < 1e-9, 'no reduction: no SVD');
  const net = validateJadceConfig({ ...cfg, net: { ...cfg.net, channel: 'network' } });
  assert.equal(macsPerSlot('net', net, 1), 128 + 640 + 80);
});

test('linePlot: a flat series is drawn at mid height; the y range spans the data otherwise', () => {
  const svg = linePlot('t', 'x', 'y', [1, 2, 3], [{ name: 'a', y: [5, 5, 5], spread: [0, 0, 0] }]);
  const ys = svg.match(/points="([^"]+)"/)![1]!.trim().split(/\s+/).map((p) => Number(p.split(',')[1]));
  const H = 360, t = 30, b = 45; // linePlot's fixed frame
  assert.ok(ys.every((y) => Math.abs(y - (t + (H - b)) / 2) < 1e-6), `flat series at ${ys}, mid height ${(t + H - b) / 2}`);
});

test('summarize: per point and method, the mean and population std over seeds of each metric', () => {
  const row = (nmseDb: number, pe: number) => ({ method: 'amp', nmseDb, nmseReDb: nmseDb - 1, pe, pMd: pe, pFa: 0, msPerSlot: 2, macsPerSlot: 100, meanRank: 3, roc: { pMd: [] } });
  const points = [0, 1, 2].map((seed) => ({ pilotLength: 8, snrDb: 10, seed, rows: [row(-10 - 2 * seed, 0.1 * seed)], trainSec: {} }));
  const [s] = summarize(points as never, ['amp']);
  assert.deepEqual([s!.pilotLength, s!.snrDb, s!.method, s!.macsPerSlot], [8, 10, 'amp', 100]);
  assert.deepEqual([s!.nmseDb.mean, s!.nmseDb.n], [-12, 3]);
  assert.ok(Math.abs(s!.nmseDb.std - Math.sqrt(8 / 3)) < 1e-12 && Math.abs(s!.pe.mean - 0.1) < 1e-12);
});
