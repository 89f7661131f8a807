#!/usr/bin/env python3
"""Per-K referee for issue 18 (third session; NumPy, written afresh, not from finite_n.py or the TS code).

Batched MMV-AMP on unit-norm pilot columns (scalar Onsager term (N/L) mean_n div_n, tau^2 = ||Z||_F^2/(LM) per slot,
damping DAMP=0.6, ITERS=100 iterations, oracle lambda), fresh CN(0, 1/L) pilots per slot, Rayleigh channels, per-slot SNR.
NMSE everywhere is the ratio of sums: sum over slots of ||X_hat - X||_F^2 / sum of ||X||_F^2 (AMP: mean of the last 10
iterations). SE: the per-K state evolution (empirical activity K/N, denoiser keeps lambda, gains ||phi_n||^2 ~ Gamma(L, 1/L)
in the prior; MSE tables on a 400-point tau^2 grid, SES=100000 draws); "se_pooled" pools it over K ~ Binomial(N, lambda)
(the finite-N SE of se.ts), "se_on_slots_K" evaluates it at each simulated slot's own K (a paired comparison without the
sampling noise of K). "genie": the LMMSE estimate that knows each slot's support. "bins": the same three by K/L.

  N=500 python3 per_k.py L SNR SLOTS SEED            Binomial K (the page's grid)
  N=500 FIXK=0.9 python3 per_k.py L SNR SLOTS SEED   exactly round(0.9 L) active devices (adds per-iteration traces)
Environment: N (500), M (16), LAM (0.05), ITERS, DAMP, BATCH (20), SES, DUMP=file.npz (per-slot K, errors, traces).
Run single-threaded: OPENBLAS_NUM_THREADS=1. Prints one JSON line."""
import json, math, os, sys, time
import numpy as np

def crandn(rng, shape, var, dt=np.complex128):
    return ((rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * math.sqrt(var / 2)).astype(dt)

def denoise(r, lam, g, tau2):
    # r [B,N,M], g [B,N] gains, tau2 [B] or [B,N]
    m = r.shape[-1]
    t = tau2[:, None] if np.ndim(tau2) == 1 else tau2
    a = g / (g + t)
    e = np.sum(r.real ** 2 + r.imag ** 2, axis=-1)
    lt0 = np.log((1 - lam) / lam) + m * np.log((g + t) / t) - g / (t * (g + t)) * e
    pi = 1 / (1 + np.exp(np.clip(lt0, -700, 700)))
    w = a * a / t * pi * (1 - pi)
    return (a * pi)[..., None] * r, pi, a * pi + w * e / m

def amp(y, phi, lam, iters=100, damping=0.6, tau_mode='emp', sig2=None, trace=None, xt=None):
    B, L, N = phi.shape; M = y.shape[-1]
    c2 = np.sum(np.abs(phi) ** 2, axis=1)  # [B,N]
    ph = phi / np.sqrt(c2)[:, None, :]
    phH = np.conj(np.transpose(ph, (0, 2, 1)))
    x = np.zeros((B, N, M), y.dtype); z = y.copy()
    for t in range(iters):
        tau2 = np.sum(np.abs(z) ** 2, axis=(1, 2)) / (L * M)
        r = phH @ z + x
        xn, pi, dv = denoise(r, lam, c2, tau2)
        x = damping * xn + (1 - damping) * x
        z = y - ph @ x + ((N / L) * dv.mean(axis=1))[:, None, None] * z
        if trace is not None:
            trace.append(np.sum(np.abs(x / np.sqrt(c2)[..., None] - xt) ** 2, axis=(1, 2)))
    return x / np.sqrt(c2)[..., None], pi, r, tau2, c2

def tables(M, lam, grid, samples, rng, L):
    g = np.sum(np.abs(crandn(rng, (samples, L), 1 / L)) ** 2, axis=1) if L else np.ones(samples)
    h = crandn(rng, (samples, M), 1.0) * np.sqrt(g)[:, None]; w = crandn(rng, (samples, M), 1.0)
    out = [[], [], [], []]
    for t2 in grid:
        T = np.full(1, t2)
        ea = np.sum(np.abs(denoise((h + math.sqrt(t2) * w)[None], lam, g[None], T)[0][0] - h) ** 2, axis=1) / M
        ei = np.sum(np.abs(denoise((math.sqrt(t2) * w)[None], lam, g[None], T)[0][0]) ** 2, axis=1) / M
        for lst, v in zip(out, (ea.mean(), ei.mean(), (ea / g).mean(), (ei / g).mean())): lst.append(max(v, 1e-300))
    return [np.log(np.array(v)) for v in out]

def se_k(N, L, K, sig2, lg, tab, iters=100):
    ma, mi, oa, oi = tab; f = K / N
    t2 = sig2 + K / L  # E[g] = 1
    traj = []
    for _ in range(iters):
        x = math.log(t2)
        traj.append(N * (f * math.exp(np.interp(x, lg, oa)) + (1 - f) * math.exp(np.interp(x, lg, oi))))  # total per-entry-sum err / M
        t2 = sig2 + N / L * (f * math.exp(np.interp(x, lg, ma)) + (1 - f) * math.exp(np.interp(x, lg, mi)))
    return np.array(traj)

def main():
    N = int(os.environ.get('N', 500)); M = int(os.environ.get('M', 16)); LAM = float(os.environ.get('LAM', 0.05))
    L = int(sys.argv[1]); snr = float(sys.argv[2]); slots = int(sys.argv[3]); seed = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    iters = int(os.environ.get('ITERS', 100)); damping = float(os.environ.get('DAMP', 0.6)); B = int(os.environ.get('BATCH', 20))
    sig2 = 10 ** (-snr / 10)
    rng = np.random.default_rng(1000 * seed + 17 * L + int(snr))
    Ks, errs, ens, gen, trs = [], [], [], [], []
    t0 = time.time()
    for s in range(0, slots, B):
        b = min(B, slots - s)
        phi = crandn(rng, (b, L, N), 1 / L, np.complex64)
        if os.environ.get('FIXK'):
            kf = int(round(float(os.environ['FIXK']) * L)); act = np.zeros((b, N), bool)
            for i in range(b): act[i, rng.choice(N, kf, replace=False)] = True
        else:
            act = rng.random((b, N)) < LAM
        xt = crandn(rng, (b, N, M), 1.0, np.complex64) * act[..., None]
        y = phi @ xt + crandn(rng, (b, L, M), sig2, np.complex64)
        tr = []
        xh = amp(y, phi, LAM, iters, damping, trace=tr, xt=xt)[0]
        trs.append(np.array(tr).T)
        Ks += list(act.sum(1)); errs += list(np.sum(np.abs(xh - xt) ** 2, axis=(1, 2))); ens += list(np.sum(np.abs(xt) ** 2, axis=(1, 2)))
        for i in range(b):
            ps = phi[i][:, act[i]].astype(np.complex128)
            xg = ps.conj().T @ np.linalg.solve(ps @ ps.conj().T + sig2 * np.eye(L), y[i].astype(np.complex128))
            gen.append(np.sum(np.abs(xg - xt[i][act[i]]) ** 2))
    Ks, errs, ens, gen = map(np.array, (Ks, errs, ens, gen)); trs = np.concatenate(trs)
    # SE tables
    grid = np.exp(np.linspace(math.log(sig2 * 0.5), math.log(sig2 + 3 * N / L * LAM * 2), 400)); lg = np.log(grid)
    tab = tables(M, LAM, grid, int(os.environ.get('SES', 100000)), np.random.default_rng(99), L)
    sek = {k: se_k(N, L, k, sig2, lg, tab, iters) for k in range(max(1, Ks.min() - 10), Ks.max() + 15)}
    # SE predicted per slot (its K) -> sum of err / sum of energy comparable (energy: E[en|K] = K*M)
    se_slot = np.array([sek[k][-10:].mean() * M for k in Ks])
    db = lambda v: round(10 * math.log10(float(v)), 2)
    pk = lambda k: math.exp(math.lgamma(N + 1) - math.lgamma(k + 1) - math.lgamma(N - k + 1) + k * math.log(LAM) + (N - k) * math.log1p(-LAM))
    kk = [k for k in range(1, N) if pk(k) > 1e-9]
    se_pool = sum(pk(k) * se_k(N, L, k, sig2, lg, tab, iters)[-10:].mean() for k in kk) / sum(pk(k) * k for k in kk)
    amp_tail = trs[:, -10:].mean(1)
    res = dict(N=N, L=L, snr=snr, slots=slots, seed=seed, iters=iters, damping=damping,
               amp=db(amp_tail.sum() / ens.sum()), se_pooled=db(se_pool), se_on_slots_K=db(se_slot.sum() / (Ks.sum() * M)),
               genie=db(gen.sum() / ens.sum()), secs=round(time.time() - t0))
    # per-K bins
    bins = [(0, L * 0.6), (L * 0.6, L * 0.75), (L * 0.75, L * 0.9), (L * 0.9, L * 1.0), (L * 1.0, 10 * L)]
    res['bins'] = []
    for lo, hi in bins:
        sel = (Ks >= lo) & (Ks < hi)
        if sel.sum() == 0: continue
        res['bins'].append(dict(K=f'[{lo:.0f},{hi:.0f})', n=int(sel.sum()), amp=db(amp_tail[sel].sum() / ens[sel].sum()), se=db(se_slot[sel].sum() / (Ks[sel].sum() * M)),
                                genie=db(gen[sel].sum() / ens[sel].sum()), share_amp_err=round(float(amp_tail[sel].sum() / amp_tail.sum()), 3)))
    its = [4, 9, 19, 29, 49, 69, 99]
    if os.environ.get('FIXK'):
        k0 = int(Ks[0]); res['K'] = k0
        res['trace_it'] = [i + 1 for i in its if i < iters]
        res['trace_amp'] = [db(trs[:, i].sum() / ens.sum()) for i in its if i < iters]
        res['trace_se'] = [db(sek[k0][i] / k0) for i in its if i < iters]
        res['se_K'] = db(sek[k0][-10:].mean() / k0)
        res['amp_slot_db_quartiles'] = [round(float(v), 2) for v in np.percentile(10 * np.log10(amp_tail / ens), [10, 25, 50, 75, 90])]
    print(json.dumps(res), flush=True)
    if os.environ.get('DUMP'): np.savez(os.environ['DUMP'], K=Ks, err=errs, en=ens, gen=gen, trs=trs)

main()
