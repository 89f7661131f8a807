#!/usr/bin/env python3
"""Independent NumPy MMV-AMP (Liu-Yu BG-MMSE denoiser) and its Monte-Carlo state evolution.

Used to cross-check src/methods/jadce (amp.ts, se.ts). Written from the equations in
src/methods/jadce/README.md, not from the TS code. Prints JSON lines.

  python3 mmv_amp_ref.py --n 500 --m 16 --l 40 --snr 10 --snr-mode received --onsager scalar --damping 0.6 --iters 100 --slots 50
"""
import argparse, json, math
import numpy as np

def crandn(rng, shape, var):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * math.sqrt(var / 2)

def denoise(r, lam, beta, tau2):
    """r [N, M]; returns x_hat, pi, scalar divergence, matrix Jacobian mean (row convention J[j,k] = d eta_k / d r_j)."""
    m = r.shape[1]
    a = beta / (beta + tau2)
    c = beta / (tau2 * (beta + tau2))
    e = np.sum(np.abs(r) ** 2, axis=1)
    log_t0 = math.log((1 - lam) / lam) + m * math.log((beta + tau2) / tau2) - c * e
    pi = 1.0 / (1.0 + np.exp(np.clip(log_t0, -700, 700)))
    x = (a * pi)[:, None] * r
    w = a * a / tau2 * pi * (1 - pi)
    div = np.mean(a * pi + w * e / m)                       # (1/M) tr mean_n J_n
    jac = (r.conj().T * w) @ r / r.shape[0] + np.mean(a * pi) * np.eye(m)
    return x, pi, div, jac

def amp(y, phi, lam, beta, iters, damping, onsager, x_true):
    l, n = phi.shape
    m = y.shape[1]
    x = np.zeros((n, m), complex)
    z = y.copy()
    hist = []
    for _ in range(iters):
        tau2 = np.sum(np.abs(z) ** 2) / (l * m)
        r = phi.conj().T @ z + x
        xn, pi, div, jac = denoise(r, lam, beta, tau2)
        x = damping * xn + (1 - damping) * x
        if onsager == 'scalar':
            ons = (n / l) * div * z
        elif onsager == 'matrix':
            ons = (n / l) * z @ jac
        else:
            ons = (n / l) * z @ jac.conj()
        z = y - phi @ x + ons
        hist.append((np.sum(np.abs(x - x_true) ** 2), np.sum(np.abs(x_true) ** 2)))
    return x, pi, hist

def se(n, m, l, lam, beta, sigma2, iters, samples, rng):
    """tau2_{t+1} = sigma2 + (N/L) mse(tau2_t), mse per entry by Monte Carlo; tau2_0 = sigma2 + (N/L) lam beta."""
    tau2 = sigma2 + n / l * lam * beta
    out = []
    for _ in range(iters):
        act = rng.random(samples) < lam
        h = crandn(rng, (samples, m), beta) * act[:, None]
        r = h + crandn(rng, (samples, m), tau2)
        x, _, _, _ = denoise(r, lam, beta, tau2)
        mse = np.mean(np.abs(x - h) ** 2)
        out.append(10 * math.log10(mse / (lam * beta)))
        tau2 = sigma2 + n / l * mse
    return out

def main():
    p = argparse.ArgumentParser()
    p.add_argument('--n', type=int, default=500); p.add_argument('--m', type=int, default=16); p.add_argument('--l', type=int, default=40)
    p.add_argument('--lam', type=float, default=0.05); p.add_argument('--snr', type=float, default=10)
    p.add_argument('--snr-mode', default='per-slot', choices=['per-slot', 'received'])
    p.add_argument('--onsager', default='scalar', choices=['scalar', 'matrix', 'matrix-conj'])
    p.add_argument('--damping', type=float, default=1.0); p.add_argument('--iters', type=int, default=30)
    p.add_argument('--slots', type=int, default=20); p.add_argument('--seed', type=int, default=0)
    p.add_argument('--se-samples', type=int, default=200000)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    snr = 10 ** (a.snr / 10)
    sigma2 = 1 / snr if a.snr_mode == 'per-slot' else a.lam * a.n / (a.l * snr)
    phi = crandn(rng, (a.l, a.n), 1 / a.l)
    err = np.zeros(a.iters); en = 0.0; errs = 0; dev = 0
    for _ in range(a.slots):
        act = rng.random(a.n) < a.lam
        xt = crandn(rng, (a.n, a.m), 1.0) * act[:, None]
        y = phi @ xt + crandn(rng, (a.l, a.m), sigma2)
        x, pi, hist = amp(y, phi, a.lam, 1.0, a.iters, a.damping, a.onsager, xt)
        err += np.array([h[0] for h in hist]); en += hist[0][1]
        errs += np.sum((pi >= 0.5) != act); dev += a.n
    amp_db = [10 * math.log10(e / en) for e in err]
    se_db = se(a.n, a.m, a.l, a.lam, 1.0, sigma2, a.iters, a.se_samples, rng)
    print(json.dumps({'args': vars(a), 'sigma2': sigma2, 'amp_nmse_db': [round(v, 3) for v in amp_db], 'se_nmse_db': [round(v, 3) for v in se_db],
                      'final_amp_db': round(amp_db[-1], 3), 'final_se_db': round(se_db[-1], 3), 'pe_posterior': errs / dev}))

if __name__ == '__main__':
    main()
