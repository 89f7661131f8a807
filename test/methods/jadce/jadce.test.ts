/** JADCE math on tiny cases: simulator statistics, the BG-MMSE denoiser against its closed form, AMP on a noiseless instance, EM raising the likelihood, dimension reduction keeping the row support, metrics, complex autograd against finite differences. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/core/torch.js';
import { ConfigError } from '../../../src/core/errors.js';
import {
  Simulator, disposeSlots, validateJadceConfig, noiseVariance, bgDenoise, emStep, mmvAmp, reestimate, groupSoft, reduce, project,
  addBatch, emptyTally, metricsOf, fro2, rowEnergy, type ScenarioConfig,
} from '../../../src/methods/jadce/index.js';

torch.setNumThreads(1);

const scen = (o: Partial<ScenarioConfig>): ScenarioConfig => validateJadceConfig({ scenario: o, baselines: { listaWeights: 'tied' } }).scenario;
const num = (t: torch.Tensor): number => t.item() as number;

test('simulator: activity rate, noise variance from the SNR, unit channel power, seeded, fixed vs resampled pilots, path-loss range', () => {
  torch.tidy(() => {
    const sc = scen({ devices: 200, antennas: 4, pilotLength: 10, activity: 0.1, snrDb: 10, snrMode: 'per-slot' });
    const sim = new Simulator(sc, 3);
    const s = sim.sample(100);
    assert.ok(Math.abs(num(s.active.mean()) - 0.1) < 0.01, `activity rate ${num(s.active.mean())}`);
    assert.equal(s.noiseVar, 0.1);
    const w = s.y.sub(s.phi.matmul(s.x));
    const nv = num(fro2(w).sum()) / (100 * 10 * 4);
    assert.ok(Math.abs(nv / 0.1 - 1) < 0.05, `noise variance ${nv}`);
    const chan = num(rowEnergy(s.x).sum()) / (num(s.active.sum()) * 4);
    assert.ok(Math.abs(chan - 1) < 0.05, `channel power ${chan}`);
    assert.ok(Math.abs(num(fro2(s.phi).sum()) / 200 - 1) < 0.1, 'pilot columns have unit norm on average');
    const again = new Simulator(sc, 3).sample(100);
    assert.equal(num(fro2(again.y.sub(s.y)).sum()), 0, 'same seed, same slots');
    const next = sim.sample(2);
    assert.equal(next.phi, s.phi, 'fixed pilots are shared by every batch');
    disposeSlots(next, true);
    assert.equal(noiseVariance({ snrDb: 10, snrMode: 'per-symbol', pilotLength: 10 }), 0.01);
    const rs = new Simulator(scen({ devices: 50, pilotLength: 10, pilots: 'resampled', pathLoss: true, innerRadius: 0.5 }), 1).sample(3);
    assert.deepEqual(rs.phi.shape, [3, 10, 50]);
    assert.ok(num(rs.beta.min()) >= 1 && num(rs.beta.max()) <= 0.5 ** -3.76 + 1e-3, 'beta in [1, r0^-e]');
    disposeSlots(rs, false);
    sim.dispose();
  });
});

test('BG-MMSE denoiser matches the closed form (a, b, c, t0, pi, x, mean Jacobian) on a 2 x 2 case', () => {
  torch.tidy(() => {
    const re = [[0.9, -0.4], [0.1, 0.05]];
    const im = [[0.3, 0.7], [-0.2, 0.1]];
    const r = torch.complex(torch.tensor(re, { dtype: 'float64' }), torch.tensor(im, { dtype: 'float64' })).unsqueeze(0);
    const beta = [1.5, 0.5];
    const lam = 0.2, tau2 = 0.3, D = 2;
    const d = bgDenoise(r, torch.full([1, 1, 1], lam, { dtype: 'float64' }), torch.tensor([[[1.5], [0.5]]], { dtype: 'float64' }), torch.full([1, 1, 1], tau2, { dtype: 'float64' }));
    const pis = d.pi.flatten().toArray() as number[];
    const xr = torch.real(d.x).toArray() as number[][][];
    const jr = torch.real(d.jacMean!).toArray() as number[][][];
    const ji = torch.imag(d.jacMean!).toArray() as number[][][];
    const J = [[[0, 0], [0, 0]], [[0, 0], [0, 0]]]; // [re/im][i][j]
    for (let n = 0; n < 2; n++) {
      const bt = beta[n]!;
      const a = bt / (bt + tau2);
      const b = ((1 - lam) / lam) * ((bt + tau2) / tau2) ** D;
      const c = bt / (tau2 * (bt + tau2));
      const e = re[n]!.reduce((s, v, k) => s + v * v + im[n]![k]! ** 2, 0);
      const t0 = b * Math.exp(-c * e);
      const pi = 1 / (1 + t0);
      assert.ok(Math.abs(pis[n]! - pi) < 1e-10, `pi_${n}`);
      for (let k = 0; k < D; k++) assert.ok(Math.abs(xr[0]![n]![k]! - a * pi * re[n]![k]!) < 1e-10, `x_${n}${k}`);
      const w = ((a * a) / tau2) * t0 / (1 + t0) ** 2;
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) {
          // (r^H r)_ij = conj(r_i) r_j
          J[0]![i]![j]! += (w * (re[n]![i]! * re[n]![j]! + im[n]![i]! * im[n]![j]!) + (i === j ? a * pi : 0)) / 2;
          J[1]![i]![j]! += (w * (re[n]![i]! * im[n]![j]! - im[n]![i]! * re[n]![j]!)) / 2;
        }
      }
    }
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) {
      assert.ok(Math.abs(jr[0]![i]![j]! - J[0]![i]![j]!) < 1e-10, `Re J_${i}${j}`);
      assert.ok(Math.abs(ji[0]![i]![j]! - J[1]![i]![j]!) < 1e-10, `Im J_${i}${j}`);
    }
  });
});

test('MMV-AMP recovers a noiseless sparse instance (support exactly, NMSE below -25 dB); EM-AMP too', () => {
  torch.tidy(() => {
    const sim = new Simulator(scen({ devices: 100, antennas: 8, pilotLength: 40, activity: 0.1, snrDb: 60 }), 5);
    const s = sim.sample(4);
    for (const em of [false, true]) {
      const r = mmvAmp(s.y, s.phi, s.beta, { iterations: 30, damping: 0.95, lambda: 0.1, em });
      const m = metricsOf(addBatch(emptyTally(), r.x, s.x, r.piLlr.ge(0.5).float(), s.active));
      assert.ok(m.nmseDb < -25, `em=${em}: NMSE ${m.nmseDb}`);
      assert.equal(m.pe, 0, `em=${em}: detection errors`);
    }
    sim.dispose();
  });
});

/** sum_n log[(1 - lam) CN(r_n; 0, tau2 I) + lam CN(r_n; 0, (s + tau2) I)] (beta0 = 1). */
function logLik(r: torch.Tensor, lam: number, s: number, tau2: number): number {
  return torch.tidy(() => {
    const d = r.shape[2]!;
    const e = rowEnergy(r);
    const l0 = e.div(-tau2).sub(d * Math.log(Math.PI * tau2)).add(Math.log(1 - lam));
    const l1 = e.div(-(s + tau2)).sub(d * Math.log(Math.PI * (s + tau2))).add(Math.log(lam));
    return num(torch.logsumexp(torch.cat([l0, l1], -1), [-1]).sum());
  });
}

test('EM sweeps raise the likelihood at every step and move lambda and the channel scale toward the truth', () => {
  torch.tidy(() => {
    torch.manualSeed(11);
    const n = 3000, d = 4, tau2 = 0.2;
    const sim = new Simulator(scen({ devices: n, antennas: d, pilotLength: 10, activity: 0.1 }), 2, 2);
    const s = sim.sample(1);
    const noise = torch.complex(torch.randn([1, n, d]).mul(Math.sqrt(tau2 / 2)), torch.randn([1, n, d]).mul(Math.sqrt(tau2 / 2)));
    const r = s.x.add(noise).to('complex128');
    let lam = torch.full([1, 1, 1], 0.4, { dtype: 'float64' });
    let sc = torch.full([1, 1, 1], 3, { dtype: 'float64' });
    const ones = torch.ones([1, n, 1], { dtype: 'float64' });
    const t2 = torch.full([1, 1, 1], tau2, { dtype: 'float64' });
    let ll = logLik(r, 0.4, 3, tau2);
    for (let k = 0; k < 8; k++) {
      ({ lambda: lam, scale: sc } = emStep(r, lam, sc, ones, t2));
      const next = logLik(r, num(lam), num(sc), tau2);
      assert.ok(next >= ll - 1e-6, `step ${k}: log-likelihood ${next} < ${ll}`);
      ll = next;
    }
    const rate = num(s.active.mean());
    assert.ok(Math.abs(num(lam) - rate) < 0.02, `lambda ${num(lam)} vs ${rate}`);
    assert.ok(Math.abs(num(sc) - 1) < 0.15, `scale ${num(sc)}`);
    sim.dispose();
  });
});

test('dimension reduction: rank = number of active devices (K < M, high SNR), X V_r keeps the row support and the active rows\' energy', () => {
  torch.tidy(() => {
    const sim = new Simulator(scen({ devices: 60, antennas: 8, pilotLength: 30, activity: 0.05, snrDb: 40 }), 9);
    const s = sim.sample(6);
    const red = reduce(s.y, s.noiseVar, 1.2, 'noise-floor');
    const k = (s.active.sum([1]).data() as Float32Array);
    assert.deepEqual(red.ranks, Array.from(k, (x) => Math.max(1, Math.min(8, x))));
    const xr = project(s.x, red.v);
    const ratio = rowEnergy(xr).squeeze(-1).add(1e-12).div(rowEnergy(s.x).squeeze(-1).add(1e-12));
    const act = s.active.gt(0);
    assert.ok(num(ratio.maskedSelect(act).min()) > 0.99, 'active rows keep their energy');
    assert.equal(num(rowEnergy(xr).squeeze(-1).maskedSelect(act.logicalNot()).max()), 0, 'inactive rows stay zero');
    assert.deepEqual(reduce(s.y, s.noiseVar, 1.2, 'none').rank, 8);
    sim.dispose();
  });
});

test('metrics on a hand-made case: NMSE dB, P_MD, P_FA, P_e', () => {
  torch.tidy(() => {
    const x = torch.complex(torch.tensor([[[1, 0], [0, 0], [0, 2], [0, 0]]], { dtype: 'float32' }), torch.zeros([1, 4, 2]));
    const xh = torch.complex(torch.tensor([[[1, 0], [0, 1], [0, 0], [0, 0]]], { dtype: 'float32' }), torch.zeros([1, 4, 2]));
    const t = addBatch(emptyTally(), xh, x, torch.tensor([[1, 1, 0, 0]], { dtype: 'float32' }), torch.tensor([[1, 0, 1, 0]], { dtype: 'float32' }));
    const m = metricsOf(t);
    assert.ok(Math.abs(m.nmseDb - 10 * Math.log10(5 / 5)) < 1e-9);
    assert.equal(m.pMd, 0.5);
    assert.equal(m.pFa, 0.5);
    assert.equal(m.pe, 2 / 4);
    assert.equal(m.peAvg, 0.5);
  });
});

test('group soft threshold and the LMMSE re-estimate on the true support', () => {
  torch.tidy(() => {
    const x = torch.complex(torch.tensor([[[3, 0], [0.3, 0.4]]], { dtype: 'float32' }), torch.tensor([[[0, 4], [0, 0]]], { dtype: 'float32' }));
    const y = groupSoft(x, 2.5);
    const e = rowEnergy(y).flatten().toArray() as number[];
    assert.ok(Math.abs(Math.sqrt(e[0]!) - 2.5) < 1e-5 && e[1] === 0, `row norms ${e}`);
    const sim = new Simulator(scen({ devices: 80, antennas: 4, pilotLength: 20, activity: 0.1, snrDb: 40 }), 4);
    const s = sim.sample(3);
    for (const kind of ['lmmse', 'ls'] as const) {
      const xh = reestimate(s.y, s.phi, s.active, s.beta, s.noiseVar, kind);
      const m = metricsOf(addBatch(emptyTally(), xh, s.x, s.active, s.active));
      assert.ok(m.nmseDb < -30, `${kind}: NMSE ${m.nmseDb}`);
    }
    sim.dispose();
  });
});

test('complex autograd through the denoiser and complex matmuls matches central finite differences (float64)', () => {
  torch.tidy(() => {
    torch.manualSeed(2);
    const c = (shape: number[]): torch.Tensor => torch.complex(torch.randn(shape, { dtype: 'float64' }), torch.randn(shape, { dtype: 'float64' }));
    const phi = c([5, 7]), z = c([1, 5, 3]), x0 = c([1, 7, 3]);
    const beta = torch.ones([1, 7, 1], { dtype: 'float64' });
    const f = (w: torch.Tensor): torch.Tensor => {
      const tau2 = fro2(z).div(15).mul(w.narrow(0, 0, 1).exp()).reshape([1, 1, 1]);
      const r = torch.conj(phi).transpose(-1, -2).matmul(z).add(x0);
      const d = bgDenoise(r, torch.sigmoid(w.narrow(0, 1, 1)).reshape([1, 1, 1]), beta, tau2);
      return fro2(phi.matmul(d.x).sub(z)).sum().add(fro2(z.matmul(d.jacMean!)).sum());
    };
    const w = torch.tensor([0.1, -1.0], { dtype: 'float64', requiresGrad: true });
    f(w).backward();
    const g = w.grad!.toArray() as number[];
    const base = w.detach().toArray() as number[];
    for (let i = 0; i < 2; i++) {
      const h = 1e-6;
      const at = (dv: number): number => num(f(torch.tensor(base.map((v, j) => (j === i ? v + dv : v)), { dtype: 'float64' })));
      const fd = (at(h) - at(-h)) / (2 * h);
      assert.ok(Math.abs(g[i]! - fd) < 1e-5 * Math.max(1, Math.abs(fd)), `d/dw${i}: autograd ${g[i]} vs finite difference ${fd}`);
    }
  });
});

test('config: defaults, and errors that name the field and the range', () => {
  const c = validateJadceConfig({});
  assert.equal(c.net.layers, 8);
  assert.equal(c.net.emSweeps, 2);
  assert.throws(() => validateJadceConfig({ scenario: { activity: 1.5 } }), (e: Error) => e instanceof ConfigError && /scenario\.activity.*\(0, 1\)/.test(e.message));
  assert.throws(() => validateJadceConfig({ net: { bogus: 1 } }), /net\.bogus/);
  assert.throws(() => validateJadceConfig({ scenario: { pilotLength: 300 } }), /scenario\.pilotLength.*< scenario\.devices/);
  assert.throws(() => validateJadceConfig({ scenario: { pilots: 'resampled' } }), /listaWeights.*'tied'/);
});
