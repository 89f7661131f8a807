#!/usr/bin/env python3
"""Tables of docs/results/adafilter.md, section "Diagnostics, warm-up, longer schedule, gate lr" (issue 19).

usage: python3 aggregate2.py RUNS_OR_RUNS2_JSONL ROUTING_JSONL [OUT_RUNS2_JSONL]
RUNS: the directory of grid2.sh (<row>-s<seed>.json reports beside <row>-s<seed>/metrics.jsonl), or a runs2.jsonl
written by an earlier call. ROUTING_JSONL: the output of bench/adafilter-routing.ts. Prints markdown tables;
writes OUT_RUNS2_JSONL (one compact record per run, with the diagnostics at the logged steps). Standard library only.
"""
import glob, json, os, re, statistics as st, sys

SRC, ROUTING = sys.argv[1], sys.argv[2]
OUT = sys.argv[3] if len(sys.argv) > 3 else None
ROWS = [('ft10-e30', 'ft10, 60 steps'), ('af-e30', 'AdaFilter, 60 steps'), ('ft10', 'ft10'), ('af-g10-w0', 'AF gate lr x10'),
        ('af-g10-w80', 'AF gate lr x10, warm-up 80'), ('af-g100-w0', 'AF gate lr x100'), ('af-g100-w80', 'AF gate lr x100, warm-up 80'),
        ('af-g1-w0', 'AF gate lr x1'), ('af-g1-w80', 'AF gate lr x1, warm-up 80'), ('af-g0-w0', 'AF gate untrained'),
        ('af-g0-w80', 'AF gate untrained, warm-up 80')]
AT = [1, 5, 10, 20, 40, 60, 80, 85, 100, 120, 160, 200, 240]


def record(f):
    r = json.load(open(f))
    rec = {k: r[k] for k in ('testAccuracy', 'valAccuracy', 'steps', 'epochs', 'elapsedSec', 'command', 'method') if k in r}
    rec['val_n'] = r['val']['n'] if r.get('val') else None
    if r.get('gates'):
        rec['gates'] = {'fraction': r['gates']['fraction'], 'entropy': r['gates']['entropy'], 'perLayer': r['gates']['perLayer']}
    rows = [json.loads(l) for l in open(f[:-5] + '/metrics.jsonl')]
    tr = [l for l in rows if l.get('split') == 'train' and 'gate_grad_norm' in l]
    if tr:
        rec['diag'] = [[l['step'], l['ft_dist'], l['gate_grad_norm'], l['gate_mean']] for l in tr if l['step'] in AT or l is tr[-1]]
        layers = [k for k in tr[0] if k.startswith('ft/')]
        w = re.search(r'--gate-warmup-steps (\d+)', r.get('command', ''))
        first = next(l for l in tr if l['step'] > (int(w.group(1)) if w else 0))  # the first step the gate routes
        rec['gate_start'] = [first['step'], first['gate_mean']]
        rec['max_layer_move'] = max(abs(tr[-1][k] - first[k]) for k in layers)
        rec['ggn_max'] = max(l['gate_grad_norm'] for l in tr)
    return rec


runs = {}
if SRC.endswith('.jsonl'):
    for l in open(SRC):
        r = json.loads(l)
        runs[(r['row'], r['seed'])] = r
else:
    for f in sorted(glob.glob(os.path.join(SRC, '*-s[0-9].json'))):
        m = re.match(r'(.*)-s(\d)\.json$', os.path.basename(f))
        if os.path.getsize(f) == 0:
            continue
        rec = record(f)
        rec['row'], rec['seed'] = m.group(1), int(m.group(2))
        runs[(rec['row'], rec['seed'])] = rec
if OUT:
    with open(OUT, 'w') as o:
        for k in sorted(runs):
            o.write(json.dumps(runs[k], sort_keys=True) + '\n')


def ms(xs, f='%.2f'):
    if not xs:
        return '-'
    return (f % st.mean(xs)) + ((' ± ' + f % st.stdev(xs)) if len(xs) > 1 else '') + ' (n=%d)' % len(xs)


def at(r, step, i):
    for d in r.get('diag', []):
        if d[0] == step:
            return d[i]
    return None


print('| row | steps | test error % | val accuracy % (5 images) | fine-tuned fraction % | gate entropy (bits) |')
print('|---|---|---|---|---|---|')
for key, label in ROWS:
    rs = [runs[(key, s)] for s in range(3) if (key, s) in runs]
    if not rs:
        continue
    g = [r for r in rs if 'gates' in r]
    print('| %s | %d | %s | %s | %s | %s |' % (label, rs[0]['steps'], ms([100 * (1 - r['testAccuracy']) for r in rs]), ms([100 * r['valAccuracy'] for r in rs], '%.0f'),
          ms([100 * r['gates']['fraction'] for r in g], '%.1f'), ms([r['gates']['entropy'] for r in g], '%.3f')))
print()
def off_untrained(key):
    out = []
    for s in range(3):
        a, b = runs.get((key, s)), runs.get(('af-g0-w0', s))
        if a and b and 'gates' in a and 'gates' in b:
            pl = a['gates']['perLayer']
            out.append(100 * st.mean(abs(pl[k] - b['gates']['perLayer'][k]) for k in pl))
    return out


print('| row | ft_dist at step 60 | ft_dist at end | gate_grad_norm step 5 | gate_grad_norm step 20 | gate_grad_norm at end | max gate_grad_norm | batch gate mean, first step the gate routes -> end | largest per-layer move of the batch fraction from then (pp) | mean per-layer test fraction off the untrained gate\'s (pp) |')
print('|---|---|---|---|---|---|---|---|---|---|')
for key, label in ROWS:
    rs = [runs[(key, s)] for s in range(3) if (key, s) in runs and 'diag' in runs[(key, s)]]
    if not rs:
        continue
    e = lambda xs: ms([x for x in xs if x is not None], '%.3g')
    print('| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |' % (label, e([at(r, 60, 1) for r in rs]), e([r['diag'][-1][1] for r in rs]), e([at(r, 5, 2) for r in rs]),
          e([at(r, 20, 2) for r in rs]), e([r['diag'][-1][2] for r in rs]), e([r['ggn_max'] for r in rs]),
          '%.3f (step %d) -> %.3f' % (st.mean(r['gate_start'][1] for r in rs), rs[0]['gate_start'][0], st.mean(r['diag'][-1][3] for r in rs)),
          ms([100 * r['max_layer_move'] for r in rs], '%.1f'), ms(off_untrained(key), '%.1f')))
print()
rt = [json.loads(l) for l in open(ROUTING)]
print('| condition | accuracy % | on A % | on B % | agreement with the known routing % | F-routed: A / B % | ft_dist at end | gate_grad_norm at step 10 |')
print('|---|---|---|---|---|---|---|---|')
for c in dict.fromkeys(r['condition'] for r in rt):
    rs = [r for r in rt if r['condition'] == c]
    print('| %s | %s | %s | %s | %s | %s / %s | %s | %s |' % (c, ms([100 * r['accuracy'] for r in rs], '%.1f'), ms([100 * r['accuracyA'] for r in rs], '%.1f'), ms([100 * r['accuracyB'] for r in rs], '%.1f'),
          ' '.join('%.1f' % (100 * r['agreement']) for r in rs), ' '.join('%.0f' % (100 * r['ftA']) for r in rs), ' '.join('%.0f' % (100 * r['ftB']) for r in rs),
          ms([r['ftDist'] for r in rs], '%.2f'), ' '.join('%.2g' % r['trajectory'][0][1] for r in rs)))
print()
print('| row | error minus ft10 (pp, paired by seed) | error minus the untrained gate with the same warm-up (pp, paired) | error minus the same row without warm-up (pp, paired) |')
print('|---|---|---|---|')
for key, label in ROWS:
    if not key.startswith('af-') or not any((key, s) in runs for s in range(3)):
        continue
    def paired(other):
        d = [100 * (runs[(other, s)]['testAccuracy'] - runs[(key, s)]['testAccuracy']) for s in range(3) if (key, s) in runs and (other, s) in runs]
        return ms(d) if d else '-'
    e30 = key.endswith('-e30')
    untrained = re.sub(r'^af-g\d+-', 'af-g0-', key)  # the untrained gate with the same warm-up
    print('| %s | %s | %s | %s |' % (label, paired('ft10-e30' if e30 else 'ft10'), '-' if e30 or untrained == key else paired(untrained), paired(re.sub(r'-w\d+$', '-w0', key)) if not key.endswith('-w0') and not e30 else '-'))
