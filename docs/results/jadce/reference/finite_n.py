#!/usr/bin/env python3
"""Finite-size referee for issue 18 (NumPy, independent of the TS code): why MMV-AMP departs from its state evolution
at N = 500, M = 16, activity 0.05, L = 30.

  grid     AMP on raw / unit-norm pilot columns (damping 0.6, 100 it.; and 0.3, 200 it.), the large-system SE, the finite-N
           SE (conditioned on the Binomial number K of active devices; with and without column norms in the prior), and
           the genie LMMSE that knows the support.            python3 finite_n.py grid SLOTS 30,40,60 0,5,10,15,20
  noise    statistics of the effective noise r_n - x_n at AMP's fixed point (unit columns), inactive and active rows,
           in units of the scalar tau^2.                       python3 finite_n.py noise L SNR SLOTS
  variants AMP variants tried at L = 30: raw columns, unit columns, damping, damped residual, the true scalar tau^2,
           a GAMP-style per-pilot-row Onsager term, a leave-one-out Onsager correction, the
           iterate of least residual tau^2.            python3 finite_n.py variants L SNR SLOTS
Environment: N, M, LAM override 500, 16, 0.05. Prints JSON lines.
"""
import json, math, os, sys
import numpy as np

N, M, LAM = int(os.environ.get('N', 500)), int(os.environ.get('M', 16)), float(os.environ.get('LAM', 0.05))

def crandn(rng, shape, var):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * math.sqrt(var / 2)

def denoise(r, lam, beta, tau2):
    """BG-MMSE denoiser per row (beta, tau2 scalars or per-row arrays); returns x_hat, pi, per-row divergence (1/M) tr J_n."""
    m = r.shape[1]
    a = beta / (beta + tau2); c = beta / (tau2 * (beta + tau2))
    e = np.sum(np.abs(r) ** 2, axis=1)
    log_t0 = math.log((1 - lam) / lam) + m * np.log((beta + tau2) / tau2) - c * e
    pi = 1.0 / (1.0 + np.exp(np.clip(log_t0, -700, 700)))
    w = a * a / tau2 * pi * (1 - pi)
    return (a * pi)[:, None] * r, pi, a * pi + w * e / m

def amp(y, phi, lam, xt, iters=100, damping=0.6, unit=True, mode='scalar', sigma2=None):
    """MMV-AMP, scalar Onsager term (N/L) mean_n div_n; unit: on unit-norm columns (gains ||phi_n||^2). Returns sum ||X - X0||^2, last r, tau2."""
    l, n = phi.shape; m = y.shape[1]
    c2 = np.sum(np.abs(phi) ** 2, axis=0) if unit else np.ones(n)
    phi = phi / np.sqrt(c2); xs = xt * np.sqrt(c2)[:, None]
    p2 = np.abs(phi) ** 2
    x = np.zeros((n, m), complex); z = y.copy(); zp = dvp = None; best = (np.inf, x)
    for _ in range(iters):
        if mode == 'min-tau2':  # keep the iterate whose residual tau^2 is least (an observable early stop)
            t = np.sum(np.abs(z) ** 2) / (l * m)
            if t < best[0]: best = (t, x.copy())
        r = phi.conj().T @ z + x
        if mode == 'leave-one-out' and zp is not None: r = r - (dvp / l)[:, None] * (phi.conj().T @ zp)  # own row's share of the Onsager term removed
        tau2 = np.sum(np.abs(r - xs) ** 2) / (n * m) if mode == 'true-tau' else np.sum(np.abs(z) ** 2) / (l * m)
        xn, _, dv = denoise(r, lam, c2, tau2)
        if mode == 'damp-z':
            z = damping * (y - phi @ xn + (n / l) * np.mean(dv) * z) + (1 - damping) * z
            x = damping * xn + (1 - damping) * x
            continue
        x = damping * xn + (1 - damping) * x
        zp, dvp = z, dv
        ons = (p2 @ dv)[:, None] * z if mode == 'row-onsager' else (n / l) * np.mean(dv) * z
        z = y - phi @ x + ons
    if mode == 'min-tau2': x = best[1]
    return np.sum(np.abs((x - xs) / np.sqrt(c2)[:, None]) ** 2), r, xs, tau2, c2

def tables(m, lam, grid, samples, rng, colnorm_l):
    """Per-entry MSE of active (ma) and inactive (mi) rows on a tau^2 grid; gains ||phi_n||^2 ~ Gamma(L, 1/L) if colnorm_l."""
    b = np.sum(np.abs(crandn(rng, (samples, colnorm_l), 1 / colnorm_l)) ** 2, axis=1) if colnorm_l else np.ones(samples)
    h = crandn(rng, (samples, m), 1.0) * np.sqrt(b)[:, None]; w = crandn(rng, (samples, m), 1.0)
    ma, mi, oa, oi = [], [], [], []
    for t2 in grid:
        ea = np.sum(np.abs(denoise(h + math.sqrt(t2) * w, lam, b, t2)[0] - h) ** 2, axis=1) / m
        ei = np.sum(np.abs(denoise(math.sqrt(t2) * w, lam, b, t2)[0]) ** 2, axis=1) / m
        ma.append(ea.mean()); mi.append(max(ei.mean(), 1e-300)); oa.append((ea / b).mean()); oi.append(max((ei / b).mean(), 1e-300))
    return [np.log(np.array(v)) for v in (ma, mi, oa, oi)]

def se_k(n, l, frac, sigma2, grid, tab, iters=100):
    """SE with the empirical activity frac = K/N; returns the per-entry MSE (original coordinates) after iters."""
    lg = np.log(grid); ma, mi, oa, oi = tab
    t2 = sigma2 + n / l * frac
    for _ in range(iters):
        x = math.log(t2)
        out = frac * math.exp(np.interp(x, lg, oa)) + (1 - frac) * math.exp(np.interp(x, lg, oi))
        t2 = sigma2 + n / l * (frac * math.exp(np.interp(x, lg, ma)) + (1 - frac) * math.exp(np.interp(x, lg, mi)))
    return out

def db(v): return round(10 * math.log10(v), 2)

def grid_cmd(slots, ls, snrs):
    grid = np.exp(np.linspace(math.log(1e-4), math.log(100), 300))
    rng0 = np.random.default_rng(11)
    tab0 = tables(M, LAM, grid, 20000, rng0, 0)
    pk = np.array([math.exp(math.lgamma(N + 1) - math.lgamma(k + 1) - math.lgamma(N - k + 1) + k * math.log(LAM) + (N - k) * math.log1p(-LAM)) for k in range(N + 1)]); ks = np.arange(N + 1); sel = pk > 1e-9
    for l in ls:
        tabl = tables(M, LAM, grid, 20000, rng0, l)
        for snr in snrs:
            sigma2 = 10 ** (-snr / 10)
            rng = np.random.default_rng(int(l * 100 + snr))
            phi = crandn(rng, (l, N), 1 / l)
            fin = lambda tab: np.sum(pk[sel] * np.array([se_k(N, l, k / N, sigma2, grid, tab) * N for k in ks[sel]])) / np.sum(pk[sel] * ks[sel])
            en = e_raw = e_cn = e_cn3 = e_g = 0.0
            for _ in range(slots):
                act = rng.random(N) < LAM
                xt = crandn(rng, (N, M), 1.0) * act[:, None]
                y = phi @ xt + crandn(rng, (l, M), sigma2)
                en += np.sum(np.abs(xt) ** 2)
                e_raw += amp(y, phi, LAM, xt, unit=False)[0]
                e_cn += amp(y, phi, LAM, xt)[0]
                e_cn3 += amp(y, phi, LAM, xt, iters=200, damping=0.3)[0]
                ps = phi[:, act]
                e_g += np.sum(np.abs(ps.conj().T @ np.linalg.solve(ps @ ps.conj().T + sigma2 * np.eye(l), y) - xt[act]) ** 2)
            print(json.dumps(dict(L=l, snr=snr, slots=slots, se=db(se_k(N, l, LAM, sigma2, grid, tab0) / LAM), se_finite_k=db(fin(tab0)), se_finite=db(fin(tabl)),
                                  amp_raw=db(e_raw / en), amp_unit=db(e_cn / en), amp_unit_d03=db(e_cn3 / en), genie_lmmse=db(e_g / en))), flush=True)

def noise_cmd(l, snr, slots):
    sigma2 = 10 ** (-snr / 10)
    rng = np.random.default_rng(7)
    phi = crandn(rng, (l, N), 1 / l)
    ri, ra = [], []
    for _ in range(slots):
        act = rng.random(N) < LAM
        xt = crandn(rng, (N, M), 1.0) * act[:, None]
        y = phi @ xt + crandn(rng, (l, M), sigma2)
        _, r, xs, tau2, _ = amp(y, phi, LAM, xt)
        e = np.sum(np.abs(r - xs) ** 2, axis=1) / (M * tau2)
        ri += list(e[~act]); ra += list(e[act])
    ri, ra = np.array(ri), np.array(ra)
    chi = np.sum(np.abs(crandn(rng, (200000, M), 1.0)) ** 2, axis=1) / M
    print(json.dumps(dict(L=l, snr=snr, slots=slots, inactive_mean=round(ri.mean(), 3), inactive_var=round(ri.var(), 4), active_mean=round(ra.mean(), 3), active_var=round(ra.var(), 4),
                          gaussian_var=round(chi.var(), 4), inactive_p_above_1_5=round(float(np.mean(ri > 1.5)), 4), gaussian_p_above_1_5=round(float(np.mean(chi > 1.5)), 4))))

def variants_cmd(l, snr, slots):
    sigma2 = 10 ** (-snr / 10)
    rng = np.random.default_rng(int(l * 100 + snr))
    phi = crandn(rng, (l, N), 1 / l)
    vs = {'raw d0.6': dict(unit=False), 'unit d0.6': {}, 'unit d0.3 200it': dict(damping=0.3, iters=200), 'unit d0.8': dict(damping=0.8),
          'unit damped residual': dict(mode='damp-z'), 'unit true scalar tau2': dict(mode='true-tau'), 'unit per-pilot-row Onsager': dict(mode='row-onsager'), 'unit leave-one-out Onsager': dict(mode='leave-one-out'), 'unit least-tau2 iterate': dict(mode='min-tau2')}
    res = {k: 0.0 for k in vs}; en = 0.0
    for _ in range(slots):
        act = rng.random(N) < LAM
        xt = crandn(rng, (N, M), 1.0) * act[:, None]
        y = phi @ xt + crandn(rng, (l, M), sigma2)
        en += np.sum(np.abs(xt) ** 2)
        for k, v in vs.items(): res[k] += amp(y, phi, LAM, xt, **v)[0]
    print(json.dumps(dict(L=l, snr=snr, slots=slots, **{k: db(v / en) for k, v in res.items()})))

if __name__ == '__main__':
    cmd, *a = sys.argv[1:]
    if cmd == 'grid': grid_cmd(int(a[0]), [int(v) for v in a[1].split(',')], [float(v) for v in a[2].split(',')])
    elif cmd == 'noise': noise_cmd(int(a[0]), float(a[1]), int(a[2]))
    else: variants_cmd(int(a[0]), float(a[1]), int(a[2]))
