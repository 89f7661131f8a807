#!/usr/bin/env python3
"""AMP variants and VAMP on the same slots (issue 18, third session), against the per-K SE; reuses per_k.py's denoiser,
tables and SE.  FIXK=0.9 N=500 python3 fixed_k_variants.py 30 10 40 base,undamped,d0.3x300,lam=K/N,tau-median,vamp-d0.3

  base        the default AMP (unit columns, damping 0.6, 100 iterations, tau^2 = ||Z||^2/(LM))
  undamped    damping 1;  d0.3x300: damping 0.3, 300 iterations;  d0.8: damping 0.8
  lam=K/N     the denoiser's activity set to the slot's true K/N instead of lambda
  tau-median  tau^2 from the median row energy of R over devices (most rows are inactive), not from Z
  vamp-dX     VAMP (the same BG denoiser, exact LMMSE stage through the SVD of the unit-column Phi, oracle noise), damping X on
              the denoiser's output and divergence; 'vamp' undamped
Prints per variant: final (mean of the last 10 iterations), the best iteration and its NMSE, the median per-slot NMSE."""
import json, math, os, sys, time
import numpy as np
sys.argv_saved = sys.argv; sys.argv = ['x', '30', '10', '1']
exec(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'per_k.py')).read().replace('\nmain()\n', '\n'))
sys.argv = sys.argv_saved

def amp_v(y, phi, lam, iters=100, damping=0.6, tau_fix=None, xt=None, lam_slot=None, tau_med=False):
    B, L, N = phi.shape; M = y.shape[-1]
    c2 = np.sum(np.abs(phi) ** 2, axis=1); ph = phi / np.sqrt(c2)[:, None, :]; phH = np.conj(np.transpose(ph, (0, 2, 1)))
    x = np.zeros((B, N, M), y.dtype); z = y.copy(); tr = []
    for t in range(iters):
        if tau_fix is not None: tau2 = np.full(B, tau_fix[min(t, len(tau_fix) - 1)])
        else: tau2 = np.sum(np.abs(z) ** 2, axis=(1, 2)) / (L * M)
        r = phH @ z + x
        if tau_med:  # robust: median row energy of r over devices, most of which are inactive (chi^2 median correction)
            tau2 = np.median(np.sum(np.abs(r) ** 2, -1), axis=1) / CHIMED[M]
        xn, pi, dv = denoise(r, lam if lam_slot is None else lam_slot[:, None], c2, tau2)
        x = damping * xn + (1 - damping) * x
        z = y - ph @ x + ((N / L) * dv.mean(axis=1))[:, None, None] * z
        tr.append(np.sum(np.abs(x / np.sqrt(c2)[..., None] - xt) ** 2, axis=(1, 2)))
    return np.array(tr).T

CHIMED = {m: np.median(np.sum(np.abs(crandn(np.random.default_rng(5), (400000, m), 1.0)) ** 2, -1)) for m in (16,)}

def vamp(y, phi, lam, sig2, iters=100, damping=1.0, xt=None):
    B, L, N = phi.shape; M = y.shape[-1]
    c2 = np.sum(np.abs(phi) ** 2, axis=1); ph = (phi / np.sqrt(c2)[:, None, :]).astype(np.complex128)
    U, S, Vh = np.linalg.svd(ph, full_matrices=False)  # ph = U S Vh; Vh [B,L,N]
    V = np.conj(np.transpose(Vh, (0, 2, 1)))
    gw = 1 / sig2
    Uy = np.conj(np.transpose(U, (0, 2, 1))) @ y.astype(np.complex128)  # [B,L,M]
    r1 = np.zeros((B, N, M), complex); g1 = np.full(B, 1 / lam)
    tr = []; x1 = np.zeros_like(r1)
    for t in range(iters):
        xn, pi, dv = denoise(r1, lam, c2, 1 / g1)
        a1n = np.clip(dv.mean(1), 1e-6, 1 - 1e-6)
        if t: x1 = damping * xn + (1 - damping) * x1; a1 = damping * a1n + (1 - damping) * a1
        else: x1 = xn; a1 = a1n
        g2 = g1 * (1 - a1) / a1
        r2 = (x1 - a1[:, None, None] * r1) / (1 - a1)[:, None, None]
        d = 1 / (gw * S ** 2 + g2[:, None])  # [B,L]
        # x2 = V diag(d) (gw S Uy + g2 Vh r2) + (r2 - V Vh r2)
        Vr2 = Vh @ r2
        x2 = V @ (d[..., None] * (gw * S[..., None] * Uy + g2[:, None, None] * Vr2)) + (r2 - V @ Vr2)
        a2 = g2 * (d.sum(1) + (N - L) / g2) / N
        g1 = g2 * (1 - a2) / a2
        r1 = (x2 - a2[:, None, None] * r2) / (1 - a2)[:, None, None]
        tr.append(np.sum(np.abs(xn / np.sqrt(c2)[..., None] - xt) ** 2, axis=(1, 2)))
    return np.array(tr).T

def main2():
    N = int(os.environ.get('N', 500)); M = 16; LAM = 0.05
    L = int(sys.argv[1]); snr = float(sys.argv[2]); slots = int(sys.argv[3]); which = sys.argv[4].split(',')
    sig2 = 10 ** (-snr / 10); B = int(os.environ.get('BATCH', 20))
    rng = np.random.default_rng(4242 + L + int(snr)); fixk = os.environ.get('FIXK')
    grid = np.exp(np.linspace(math.log(sig2 * 0.5), math.log(sig2 + 3 * N / L * LAM * 2), 400)); lg = np.log(grid)
    tab = tables(M, LAM, grid, 100000, np.random.default_rng(99), L)
    res = {}; ens = []; Ks = []
    t0 = time.time()
    for s in range(0, slots, B):
        b = min(B, slots - s)
        phi = crandn(rng, (b, L, N), 1 / L, np.complex64)
        if fixk:
            kf = int(round(float(fixk) * L)); act = np.zeros((b, N), bool)
            for i in range(b): act[i, rng.choice(N, kf, replace=False)] = True
        else: act = rng.random((b, N)) < LAM
        xt = crandn(rng, (b, N, M), 1.0, np.complex64) * act[..., None]
        y = phi @ xt + crandn(rng, (b, L, M), sig2, np.complex64)
        ens += list(np.sum(np.abs(xt) ** 2, axis=(1, 2))); Ks += list(act.sum(1))
        for w in which:
            if w == 'base': tr = amp_v(y, phi, LAM, xt=xt)
            elif w == 'undamped': tr = amp_v(y, phi, LAM, damping=1.0, xt=xt)
            elif w == 'd0.3x300': tr = amp_v(y, phi, LAM, iters=300, damping=0.3, xt=xt)
            elif w == 'd0.8': tr = amp_v(y, phi, LAM, damping=0.8, xt=xt)
            elif w == 'lam=K/N': tr = amp_v(y, phi, LAM, xt=xt, lam_slot=act.mean(1))
            elif w == 'tau-median': tr = amp_v(y, phi, LAM, xt=xt, tau_med=True)
            elif w == 'vamp': tr = vamp(y, phi, LAM, sig2, xt=xt)
            elif w.startswith('vamp-d'): tr = vamp(y, phi, LAM, sig2, damping=float(w[6:]), xt=xt)
            res.setdefault(w, []).append(tr)
    ens = np.array(ens); Ks = np.array(Ks)
    db = lambda v: round(10 * math.log10(float(v)), 2)
    out = dict(N=N, L=L, snr=snr, slots=slots, fixk=fixk, secs=round(time.time() - t0))
    sek = {k: se_k(N, L, k, sig2, lg, tab, 100) for k in set(Ks.tolist())}
    out['se_on_slots'] = db(sum(sek[k][-10:].mean() * M for k in Ks) / (Ks.sum() * M))
    for w, trs in res.items():
        trs = np.concatenate(trs)
        out[w] = dict(final=db(trs[:, -10:].mean(1).sum() / ens.sum()), best_it=int(np.argmin(trs.sum(0))) + 1, best=db(trs.sum(0).min() / ens.sum()),
                      median_slot=round(float(np.median(10 * np.log10(trs[:, -10:].mean(1) / ens))), 2))
    print(json.dumps(out), flush=True)

main2()
