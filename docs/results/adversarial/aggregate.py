#!/usr/bin/env python3
"""Tables and the robust-accuracy plot of docs/results/adversarial.md from `adaptune adversarial --json` reports.

usage: python3 aggregate.py RUNS_DIR OUT_DIR [SCRATCH_RUN_NAME]
RUNS_DIR holds NAME.json for each run. Prints markdown tables; writes OUT_DIR/monitor.svg (held-out robust
accuracy, mean over seeds per arm, against training images seen). The cost ratio is SCRATCH's training passes / the run's (default
B-piecewise-s0), computed from the exact pass counts in the reports. Standard library only.
"""
import glob, json, os, statistics as st, sys

RUNS, OUT = sys.argv[1], sys.argv[2]
REF = sys.argv[3] if len(sys.argv) > 3 else 'B-piecewise-s0'
runs = {os.path.basename(f)[:-5]: json.load(open(f)) for f in sorted(glob.glob(os.path.join(RUNS, '*.json')))}
ref = runs.get(REF)
pct = lambda x: f'{100 * x:.1f}'

print('| run | steps (epochs) | selected step | held-out clean / PGD-10 at it | test clean | test FGSM | test PGD-20x2 | last weights: test clean / PGD | train PGD-20x2 (gap) | train passes | wall s (monitor) | ratio vs ' + REF + ': passes; wall |')
print('|---|---|---|---|---|---|---|---|---|---|---|---|')
for name, r in runs.items():
    t, c = r.get('test'), r['cost']
    b = r.get('best')
    last = r.get('testLast')
    tr = r.get('train')
    gap = f"{pct(tr['pgd'])} ({100 * (tr['pgd'] - t['pgd']):+.1f})" if tr and t else '-'
    passes = c['trainForwardPasses'] + c['trainBackwardPasses']
    ratio = '-'
    if ref and name != REF:
        rp = ref['cost']['trainForwardPasses'] + ref['cost']['trainBackwardPasses']
        rw = ref['cost']['wallSec'] - ref['cost']['monitorSec']
        ratio = f"{rp / passes:.2f}x; {rw / (c['wallSec'] - c['monitorSec']):.2f}x"
    print(f"| {name} | {r['steps']} ({r['epochs']}) | {b['step'] if b else 'last'} | {pct(b['accuracy']) if b and b.get('accuracy') is not None else '-'} / {pct(b['robustAccuracy']) if b else '-'} | "
          f"{pct(t['clean'])} | {pct(t['fgsm'])} | {pct(t['pgd'])} | {(pct(last['clean']) + ' / ' + pct(last['pgd'])) if last else '-'} | {gap} | {passes} | "
          f"{c['wallSec'] - c['monitorSec']:.0f} ({c['monitorSec']:.0f}) | {ratio} |")

# the kept checkpoint must be the one the held-out monitor ranks first (robust accuracy, ties by clean accuracy; natural
# runs, loss 'natural': clean accuracy), the first such step: the selection never saw test numbers
bad = []
for name, r in runs.items():
    if not r.get('best') or not r['monitor']:
        continue
    key = (lambda m: (m['accuracy'],)) if r.get('loss') == 'natural' else (lambda m: (m['robustAccuracy'], m['accuracy']))
    top = max(key(m) for m in r['monitor'])
    want = next(m['step'] for m in r['monitor'] if key(m) == top)
    if r['best']['step'] != want:
        bad.append(f"{name}: kept step {r['best']['step']}, the monitor ranks step {want} first")
print('\nselection check (kept checkpoint = first best on the held-out monitor): ' + ('all ' + str(len(runs)) + ' runs agree' if not bad else 'MISMATCH: ' + '; '.join(bad)))

# grouped means over seeds (name minus the -sN suffix)
groups = {}
for name, r in runs.items():
    groups.setdefault(name.rsplit('-s', 1)[0], []).append(r)
def f(xs):
    xs = [100 * x for x in xs]
    return f'{st.mean(xs):.1f}' + (f' ± {st.stdev(xs):.1f}' if len(xs) > 1 else '')
print('\nMean ± sample standard deviation over seeds (n = seeds):\n')
print(f'| arm | n | test clean % | test FGSM % | test PGD-20x2 % | held-out PGD-10 % at the kept step | last weights: test PGD % | train-test robust gap (pp) | training passes: {REF} / the arm\'s |')
print('|---|---|---|---|---|---|---|---|---|')
passes = lambda r: r['cost']['trainForwardPasses'] + r['cost']['trainBackwardPasses']
for g, rs in groups.items():
    rs = [r for r in rs if r.get('test')]
    if not rs:
        continue
    gaps = [r['train']['pgd'] - r['test']['pgd'] for r in rs if r.get('train')]
    lasts = [(r.get('testLast') or r['test'])['pgd'] for r in rs]
    n = f"{len(rs)}" + (' (fewer than 3)' if len(rs) < 3 else '')
    print(f"| {g} | {n} | {f([r['test']['clean'] for r in rs])} | {f([r['test']['fgsm'] for r in rs])} | {f([r['test']['pgd'] for r in rs])} | "
          f"{f([r['best']['robustAccuracy'] for r in rs if r.get('best')])} | {f(lasts)} | {f(gaps) if gaps else '-'} | {(f'{passes(ref) / passes(rs[0]):.2f}x') if ref else '-'} |")

# the schedule-shape grid of fine-tuning (slow-start-fast-decay): warm-up fraction x decay rate, one table per peak lr
import re
cells = {}
for g, rs in groups.items():
    m = re.fullmatch(r'C-ssfd-lr([0-9.]+)(?:-wf([0-9.]+))?(?:-dr([0-9.]+))?', g)
    if m:
        cells[(m.group(1), m.group(2) or '0.5', m.group(3) or '5')] = [r['test']['pgd'] for r in rs if r.get('test')]
drs = sorted({k[2] for k in cells}, key=float)
print('\nslow-start-fast-decay fine-tuning (C, 58 steps): test PGD-20x2 % mean ± std (n seeds); columns: decay rate K of exp(-K u)\n')
print('| peak lr | warm-up fraction | ' + ' | '.join(f'K = {d}' for d in drs) + ' |')
print('|---|---|' + '---|' * len(drs))
for lr, wf in sorted({k[:2] for k in cells}, key=lambda t: (float(t[0]), float(t[1]))):
    print(f'| {lr} | {wf} | ' + ' | '.join(f"{f(cells[(lr, wf, dr)])} ({len(cells[(lr, wf, dr)])})" if (lr, wf, dr) in cells else '-' for dr in drs) + ' |')

# the schedule families at each peak lr (C from the bundled backbone, PGD-7, 58 steps; slow-start-fast-decay in its
# default shape, warm-up 0.5 and K = 5): test PGD and the held-out monitor, so families can be compared at one peak lr
fam = {}
for g, rs in groups.items():
    m = re.fullmatch(r'C-(ssfd|constant|piecewise|cyclic)-lr([0-9.]+)', g)
    if m:
        fam[(m.group(1), m.group(2))] = [r for r in rs if r.get('test')]
lrs = sorted({k[1] for k in fam}, key=float)
print('\nschedule family x peak lr (C, bundled backbone, PGD-7, 58 steps; slow-start-fast-decay = warm-up 0.5, K = 5): '
      'test PGD-20x2 % / held-out PGD-10 % at the kept step, mean ± std (n seeds)\n')
print('| schedule | ' + ' | '.join(f'peak lr {lr}' for lr in lrs) + ' |')
print('|---|' + '---|' * len(lrs))
for fm in ['ssfd', 'constant', 'piecewise', 'cyclic']:
    cell = lambda rs: f"{f([r['test']['pgd'] for r in rs])} / {f([r['best']['robustAccuracy'] for r in rs])} ({len(rs)})"
    label = 'slow-start-fast-decay' if fm == 'ssfd' else fm
    print(f'| {label} | ' + ' | '.join(cell(fam[(fm, lr)]) if (fm, lr) in fam else '-' for lr in lrs) + ' |')

print('\nmonitor rows (step: clean / robust %):')
for name, r in runs.items():
    print(f"- {name}: " + '; '.join(f"{m['step']}: {pct(m['accuracy'])} / {pct(m['robustAccuracy'])}" for m in r['monitor']))

# plot: one curve per arm, the seeds' mean held-out robust accuracy against training images (steps x batch 128)
curves = {}
for g, rs in groups.items():
    by = {}
    for r in rs:
        for m in r['monitor']:
            by.setdefault(m['step'], []).append(m['robustAccuracy'])
    if by:
        curves[f'{g} (n={len(rs)})'] = [(s_, st.mean(v)) for s_, v in sorted(by.items())]
os.makedirs(OUT, exist_ok=True)
W, L = 800, 60
H = max(360, 50 + 14 * len(curves))
xmax = max(s_ for c in curves.values() for s_, _ in c) * 128
X = lambda s: L + (W - L - 240) * s * 128 / xmax
Y = lambda a: H - 30 - (H - 60) * a / 0.8
pal = ['#e41a1c', '#377eb8', '#4daf4a', '#984ea3', '#ff7f00', '#a65628', '#f781bf', '#999999', '#66c2a5', '#fc8d62', '#8da0cb', '#e78ac3', '#a6d854', '#ffd92f']
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="10">',
       '<text x="60" y="14">held-out robust accuracy (PGD-10, 200 images), mean over seeds, against training images seen</text>']
for a in [0, 0.2, 0.4, 0.6, 0.8]:
    svg.append(f'<line x1="{L}" x2="{W - 240}" y1="{Y(a):.1f}" y2="{Y(a):.1f}" stroke="#ddd"/><text x="25" y="{Y(a) + 4:.1f}">{int(100 * a)}%</text>')
for k in range(0, 6):
    s = xmax * k / 5 / 128
    svg.append(f'<text x="{X(s) - 10:.1f}" y="{H - 12}">{int(s * 128 / 1000)}k</text>')
for i, (name, pts0) in enumerate(curves.items()):
    pts = [(X(s_), Y(a)) for s_, a in pts0]
    col = pal[i % len(pal)]
    dash = ' stroke-dasharray="5,3"' if i >= len(pal) else ''  # colours repeat after the palette: dashed then
    svg.append(f'<polyline fill="none" stroke="{col}"{dash} stroke-width="1.5" points="' + ' '.join(f'{x:.1f},{y:.1f}' for x, y in pts) + '"/>')
    svg.append(f'<line x1="{W - 238}" x2="{W - 232}" y1="{26 + 14 * i}" y2="{26 + 14 * i}" stroke="{col}"{dash} stroke-width="2"/><text x="{W - 230}" y="{30 + 14 * i}" fill="{col}">{name}{" (dashed)" if dash else ""}</text>')
svg.append('</svg>')
open(os.path.join(OUT, 'monitor.svg'), 'w').write('\n'.join(svg))
