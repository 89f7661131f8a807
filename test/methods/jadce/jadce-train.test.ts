/** JADCE learned methods on a tiny scenario: layer-wise training lowers the held-out loss (network and LISTA-GS), no tensor leak, save/load round trip; the CLI parser. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../src/core/torch.js';
import {
  FaatNet, ListaGS, Simulator, disposeSlots, trainUnrolled, validateJadceConfig, saveModels, loadModels, disposeModels, evaluateMethods,
  trainModels, netVariant, type Trainable,
} from '../../../src/methods/jadce/index.js';
import { parseJadce } from '../../../src/cli/jadce.js';
import { CliError } from '../../../src/cli/flags.js';

torch.setNumThreads(1);

const cfg = validateJadceConfig({
  scenario: { devices: 40, antennas: 4, pilotLength: 12, activity: 0.1, snrDb: 15 },
  baselines: { listaLayers: 3, ampIterations: 10, istaIterations: 20 },
  net: { layers: 3 },
  train: { innerSteps: 10, outerSteps: 4, finalSteps: 10, batch: 16, lr: 0.01, lrFine: 0.003 },
});

/** The loss at full depth on a fixed held-out batch. */
function heldOut(model: Trainable, sim: Simulator): number {
  const s = sim.sample(64);
  try { return torch.noGrad(() => torch.tidy(() => model.loss(s, model.layers).item() as number)); } finally { disposeSlots(s, true); }
}

test('layer-wise training (inner, outer, end-to-end) lowers the held-out NMSE of the network and of LISTA-GS, without leaking tensors', () => {
  const sim = new Simulator(cfg.scenario, 1, 0);
  const net = new FaatNet(cfg.net, 0.95);
  const b = [sim.sample(16)];
  net.fitPrior(b);
  disposeSlots(b[0]!, true);
  assert.ok(net.prior.lambda > 0.02 && net.prior.lambda < 0.3, `prior lambda ${net.prior.lambda}`);
  const lista = new ListaGS(3, 'full', sim.phi, 0.3, 10);
  for (const model of [net, lista]) {
    const test = new Simulator(cfg.scenario, 99, 0);
    const before = heldOut(model, test);
    const live = torch.liveTensors();
    const log = trainUnrolled(model, sim, cfg.train);
    assert.ok(torch.liveTensors() - live <= 2 * [0, 1, 2].flatMap((t) => model.layerParams(t)).length, 'only the parameters\' gradients stay');
    assert.deepEqual(log.map((l) => l.stage), ['inner', 'inner', 'outer', 'inner', 'outer', 'final']);
    const after = heldOut(model, test);
    assert.ok(after < before, `${model.constructor.name}: held-out NMSE ${10 * Math.log10(before)} -> ${10 * Math.log10(after)} dB`);
    test.dispose();
  }
  net.dispose();
  lista.dispose();
  sim.dispose();
});

test('trainModels / saveModels / loadModels round trip: the reloaded models give the same test rows; ablation variants', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jadce-'));
  try {
    const small = validateJadceConfig({ ...cfg, train: { ...cfg.train, innerSteps: 2, outerSteps: 1, finalSteps: 2 } });
    const methods = ['lista', 'net', 'net-noem'] as const;
    const tr = trainModels(small, methods, 3);
    const rows = evaluateMethods(small, ['amp', ...methods], tr.models, 3, 32, 16);
    saveModels(join(dir, 'm.safetensors'), small, tr.models, 3);
    disposeModels(tr.models);
    const back = loadModels(join(dir, 'm.safetensors'));
    assert.equal(back.seed, 3);
    const again = evaluateMethods(back.cfg, ['amp', ...methods], back.models, 3, 32, 16);
    for (let i = 0; i < rows.length; i++) {
      assert.equal(again[i]!.nmseDb, rows[i]!.nmseDb, rows[i]!.method);
      assert.equal(again[i]!.pe, rows[i]!.pe, rows[i]!.method);
    }
    assert.ok(rows.every((r) => Number.isFinite(r.nmseDb) && r.macsPerSlot > 0));
    disposeModels(back.models);
    assert.equal(netVariant('net-noem', small).net.emSweeps, 0);
    assert.equal(netVariant('net-nodr', small).net.dimReduction, 'none');
    assert.equal(netVariant('net-e2e', small).train.schedule, 'end-to-end');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI parser: actions, flags into config sections, errors that name the flag', () => {
  const a = parseJadce(['eval', '--snr', '5', '--pilot-length', '30', '--methods', 'amp,fista', '--slots', '10']);
  assert.ok(a !== 'help');
  assert.equal(a.action, 'eval');
  assert.deepEqual(a.config['scenario'], { snrDb: 5, pilotLength: 30 });
  assert.deepEqual(a.methods, ['amp', 'fista']);
  assert.equal(parseJadce(['train', '--help']), 'help');
  assert.throws(() => parseJadce(['train']), (e: Error) => e instanceof CliError && /--out/.test(e.message));
  assert.throws(() => parseJadce(['train', '--out', 'x', '--methods', 'amp']), /learned methods/);
  assert.throws(() => parseJadce(['fit']), /action must be one of/);
  assert.throws(() => parseJadce(['eval', '--methods', 'amp,xyz']), /--methods must be one of/);
  assert.throws(() => parseJadce(['sweep', '--out', 'x', '--seeds', '0,a']), /--seeds/);
});
