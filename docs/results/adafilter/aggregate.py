#!/usr/bin/env python3
"""Tables and SVG plots of docs/results/adafilter.md from the run directories' JSON reports.

usage: python3 aggregate.py RUNS OUT_DIR
RUNS is either a directory holding b<budget>-<task>-<method>-s<seed>.json (the --json output of adaptune
finetune) beside the run directories of the same name (log.txt), or a runs.jsonl written by an earlier call.
Prints markdown tables; writes OUT_DIR/runs.jsonl (one compact record per run), error.svg and gates-<budget>.svg.
Standard library only.
"""
import glob, json, os, re, statistics as st, sys

RUNS, OUT = sys.argv[1], sys.argv[2]
METHODS = [('ft', 'ft (head lr x1)'), ('ft10', 'ft10'), ('lp', 'linear probe'), ('l2sp', 'L2-SP'), ('af', 'AdaFilter'),
           ('afnobn', 'AF, no gated BN'), ('afmlp', 'AF, MLP gate'), ('afg0', 'AF, gate never trained')]
TASKS = ['fmnist-target-mid', 'fmnist-target-shift', 'textures-target-far']
runs = {}
KEEP = ('testAccuracy', 'gates', 'data', 'labelsPerClass', 'method', 'strategy', 'steps', 'epochs', 'command')
if RUNS.endswith('.jsonl'):
    for line in open(RUNS):
        r = json.loads(line)
        runs[tuple(r['_key'])] = r
for f in ([] if RUNS.endswith('.jsonl') else glob.glob(os.path.join(RUNS, 'b*-*-s[0-9].json'))):
    m = re.match(r'b(\d+)-(.*)-(ft|ft10|lp|l2sp|af|afnobn|afmlp|afg0)-s(\d)\.json$', os.path.basename(f))
    if not m:
        continue
    b, task, meth, seed = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
    r = json.load(open(f))
    log = open(f[:-5] + '/log.txt').read()
    # the log's last line: 'completed at step N (epoch E) in MM:SS' (first session) or '... (E epochs) in MM:SS' (later code)
    t = re.search(r'completed at step (\d+) \((?:epoch (\d+)|(\d+) epochs)\) in (\d+):(\d+)', log)
    r['_train_s'] = int(t.group(4)) * 60 + int(t.group(5)) if t else None
    r['_epochs'] = int(t.group(2) or t.group(3)) if t else None
    # runs reused from an earlier, loaded session are symlinks: their accuracies count, their times do not
    r['_reused'] = os.path.islink(f[:-5])
    # AF_COMMIT=<commit>: runs made later, at another commit (one at a time, another machine load): recorded with
    # '_commit'; their accuracies count, their times stay out of the cost table
    if os.environ.get('AF_COMMIT'):
        r['_commit'] = os.environ['AF_COMMIT']
    r = {k: v for k, v in r.items() if k in KEEP or k.startswith('_')}
    r['_key'] = [b, task, meth, seed]
    runs[(b, task, meth, seed)] = r

def err(r): return 100 * (1 - r['testAccuracy'])
def ms(xs): return (st.mean(xs), st.stdev(xs) if len(xs) > 1 else None)
def fmt(xs):
    m, s = ms(xs)
    return f"{m:.2f}" + (f" ± {s:.2f}" if s is not None else '') + f" (n={len(xs)})"

budgets = sorted({k[0] for k in runs})
print('## Test error (%), mean ± sample sd over seeds\n')
print('| budget | target | ' + ' | '.join(n for _, n in METHODS) + ' |')
print('|---|---|' + '---|' * len(METHODS))
cells = {}
for b in budgets:
    for task in TASKS:
        row = []
        for meth, _ in METHODS:
            xs = [err(r) for (bb, t, mm, s), r in sorted(runs.items()) if (bb, t, mm) == (b, task, meth)]
            cells[(b, task, meth)] = xs
            row.append(fmt(xs) if xs else '-')
        print(f'| {b}/class | {task} | ' + ' | '.join(row) + ' |')

print('\n## Error reduction against ft10, paired by seed (pp; positive = better than ft10)\n')
print('| method | ' + ' | '.join(f'{b}/{t.split("-")[-1]}' for b in budgets for t in TASKS) + ' | mean over settings |')
print('|---|' + '---|' * (len(budgets) * len(TASKS) + 1))
for meth, name in METHODS:
    if meth == 'ft10':
        continue
    vals, out = [], []
    for b in budgets:
        for task in TASKS:
            seeds = sorted({s for (bb, t, mm, s) in runs if (bb, t, mm) == (b, task, meth)} & {s for (bb, t, mm, s) in runs if (bb, t, mm) == (b, task, 'ft10')})
            d = [err(runs[(b, task, 'ft10', s)]) - err(runs[(b, task, meth, s)]) for s in seeds]
            if d:
                vals.append(st.mean(d)); out.append(f"{st.mean(d):+.2f} (n={len(d)})")
            else:
                out.append('-')
    print(f'| {name} | ' + ' | '.join(out) + f" | {st.mean(vals):+.2f} over {len(vals)} |" if vals else f'| {name} | ' + ' | '.join(out) + ' | - |')

print('\n## Gates of AdaFilter runs (test split, after training)\n')
print('| budget | target | method | fine-tuned fraction % | entropy (bits) | largest per-class spread within a run (pp) |')
print('|---|---|---|---|---|---|')
for b in budgets:
    for task in TASKS:
        for meth in ['af', 'afnobn', 'afmlp', 'afg0']:
            rs = [r for (bb, t, mm, s), r in sorted(runs.items()) if (bb, t, mm) == (b, task, meth) and r.get('gates')]
            if not rs:
                continue
            fr = [100 * r['gates']['fraction'] for r in rs]; en = [r['gates']['entropy'] for r in rs]
            vals = lambda r: list(r['gates']['perClass'].values() if isinstance(r['gates']['perClass'], dict) else r['gates']['perClass'])
            pc = max(100 * (max(vals(r)) - min(vals(r))) for r in rs)
            print(f"| {b} | {task} | {meth} | {fmt(fr)} | {st.mean(en):.3f} | {pc:.1f} |")

print('\n## Training time per epoch (s, one thread, this session\'s runs only; mean over runs)\n')
print('| budget | ' + ' | '.join(n for _, n in METHODS) + ' |')
print('|---|' + '---|' * len(METHODS))
for b in budgets:
    row = []
    for meth, _ in METHODS:
        xs = [r['_train_s'] / r['_epochs'] for (bb, t, mm, s), r in runs.items() if (bb, mm) == (b, meth) and r['_train_s'] and r['_epochs'] and not r['_reused'] and not r.get('_commit')]
        row.append(f"{st.mean(xs):.2f} (n={len(xs)})" if xs else '-')
    print(f'| {b}/class | ' + ' | '.join(row) + ' |')

# ---- the compact records, then the plots
os.makedirs(OUT, exist_ok=True)
if not RUNS.endswith('.jsonl'):
    with open(os.path.join(OUT, 'runs.jsonl'), 'w') as fh:
        for k in sorted(runs):
            fh.write(json.dumps(runs[k], sort_keys=True) + '\n')
COL = {'ft': '#999999', 'ft10': '#333333', 'lp': '#8da0cb', 'l2sp': '#66c2a5', 'af': '#e41a1c', 'afnobn': '#fc8d62', 'afmlp': '#e78ac3', 'afg0': '#ffd92f'}
settings = [(b, t) for b in budgets for t in TASKS if any(cells.get((b, t, m)) for m, _ in METHODS)]
W, H, pad = max(140 * len(settings) + 80, 960), 320, 50
top = max([max(v) for v in cells.values() if v] + [1])
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 70}" font-family="sans-serif" font-size="11">',
       f'<text x="{pad}" y="14">Test error (%) per setting: bar = mean over seeds, tick = each seed</text>']
y = lambda v: H - (H - 30) * v / top
for g, (b, t) in enumerate(settings):
    x0 = pad + g * 140
    for j, (m, _) in enumerate(METHODS):
        xs = cells.get((b, t, m)) or []
        if not xs:
            continue
        x = x0 + j * 15
        svg.append(f'<rect x="{x}" y="{y(st.mean(xs)):.1f}" width="13" height="{H - y(st.mean(xs)):.1f}" fill="{COL[m]}"/>')
        for v in xs:
            svg.append(f'<line x1="{x - 1}" x2="{x + 14}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ffd700" stroke-width="2"/><line x1="{x - 1}" x2="{x + 14}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="black" stroke-width="0.7"/>')
    svg.append(f'<text x="{x0}" y="{H + 14}">{b}/class</text><text x="{x0}" y="{H + 28}">{t.split("-")[-1]}</text>')
for v in range(0, int(top) + 1, 10):
    svg.append(f'<line x1="{pad - 5}" x2="{W - 20}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/><text x="5" y="{y(v) + 4:.1f}">{v}</text>')
for j, (m, n) in enumerate(METHODS):
    svg.append(f'<rect x="{pad + j * 110}" y="{H + 42}" width="10" height="10" fill="{COL[m]}"/><text x="{pad + j * 110 + 14}" y="{H + 51}">{n}</text>')
svg.append('</svg>')
open(os.path.join(OUT, 'error.svg'), 'w').write('\n'.join(svg))

# fine-tuned fraction per layer, AdaFilter, per budget and target (mean over seeds)
for b in budgets:
    rs = {t: [r for (bb, tt, mm, s), r in runs.items() if (bb, tt, mm) == (b, t, 'af') and r.get('gates')] for t in TASKS}
    if not any(rs.values()):
        continue
    layers = list(next(v for v in rs.values() if v)[0]['gates']['perLayer'].keys())
    W2, H2 = 28 * len(layers) + 80, 260
    s2 = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W2}" height="{H2 + 150}" font-family="sans-serif" font-size="10">',
          f'<text x="40" y="14">AdaFilter, {b} labels/class: fine-tuned fraction per layer (test split; mean over seeds)</text>']
    tc = {'fmnist-target-mid': '#1b9e77', 'fmnist-target-shift': '#d95f02', 'textures-target-far': '#7570b3'}
    yy = lambda v: H2 - (H2 - 30) * v
    for i, l in enumerate(layers):
        for j, t in enumerate(TASKS):
            if not rs[t]:
                continue
            v = st.mean(r['gates']['perLayer'][l] for r in rs[t])
            s2.append(f'<rect x="{40 + i * 28 + j * 8}" y="{yy(v):.1f}" width="7" height="{H2 - yy(v):.1f}" fill="{tc[t]}"/>')
        s2.append(f'<text transform="translate({40 + i * 28 + 8},{H2 + 6}) rotate(60)">{l}</text>')
    for v in [0, 0.25, 0.5, 0.75, 1]:
        s2.append(f'<line x1="35" x2="{W2 - 10}" y1="{yy(v):.1f}" y2="{yy(v):.1f}" stroke="#ddd"/><text x="5" y="{yy(v) + 4:.1f}">{v:.2f}</text>')
    for j, t in enumerate(TASKS):
        s2.append(f'<rect x="{40 + j * 160}" y="{H2 + 130}" width="10" height="10" fill="{tc[t]}"/><text x="{54 + j * 160}" y="{H2 + 139}">{t}</text>')
    s2.append('</svg>')
    open(os.path.join(OUT, f'gates-{b}.svg'), 'w').write('\n'.join(s2))
