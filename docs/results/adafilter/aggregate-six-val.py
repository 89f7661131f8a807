#!/usr/bin/env python3
"""The six-setting headline (ft10, AdaFilter at its defaults, L2-SP) with a usable validation split
(docs/results/adafilter.md, "The six settings on validation").
usage: aggregate-six-val.py RUNS_DIR_OR_JSONL [OUT.jsonl]
  RUNS_DIR: b<B>-<task>-<row>-s<seed>.json reports (adaptune finetune --json, B = training labels per class);
  OUT.jsonl: the compact records written from them (AF_COMMIT=<hash> names the code they ran at). A .jsonl input: the checked-in records.
  Prints per setting: each row's validation accuracy and test error (mean ± sample std over seeds, per seed),
  the paired AdaFilter − ft10 differences on validation and test, and the row validation ranks first."""
import glob, json, os, statistics as st, sys

SRC = sys.argv[1]
ROWS = ['ft10', 'af', 'l2sp']
NAMES = {'ft10': 'ft10', 'af': 'AdaFilter', 'l2sp': 'L2-SP'}
TASKS = ['fmnist-target-mid', 'fmnist-target-shift', 'textures-target-far']
if SRC.endswith('.jsonl'):
    recs = [json.loads(l) for l in open(SRC)]
else:
    recs = []
    for f in sorted(glob.glob(os.path.join(SRC, 'b*-s[0-9].json'))):
        if os.path.getsize(f) == 0: continue
        r = json.load(open(f))
        if r.get('status') != 'completed': continue
        name = os.path.basename(f)[:-5]
        head, s = name.rsplit('-s', 1)
        b, rest = head.split('-', 1)
        task, row = rest.rsplit('-', 1)
        g = r.get('gates') or {}
        recs.append({'budget': int(b[1:]), 'task': task, 'row': row, 'seed': int(s), 'command': r['command'], 'steps': r['steps'],
                     'labelsPerClass': r['labelsPerClass'], 'valAccuracy': r['valAccuracy'], 'val_n': r['val']['images'],
                     'testAccuracy': r['testAccuracy'], 'test_n': r['test']['images'], 'gateFraction': g.get('fraction'),
                     'gateEntropy': g.get('entropy'), 'elapsedSec': r['elapsedSec'], '_commit': os.environ.get('AF_COMMIT')})
    if len(sys.argv) > 2:
        with open(sys.argv[2], 'w') as o:
            for x in sorted(recs, key=lambda x: (x['budget'], TASKS.index(x['task']), ROWS.index(x['row']), x['seed'])): o.write(json.dumps(x) + '\n')

by = {}
for x in recs: by.setdefault((x['budget'], x['task']), {}).setdefault(x['row'], {})[x['seed']] = x
def ms(v, f='%.2f'):
    if not v: return '-'
    return (f % st.mean(v)) + ((' ± ' + f % st.stdev(v)) if len(v) > 1 else '') + f' (n={len(v)})'
val = lambda x: 100 * x['valAccuracy']
err = lambda x: 100 - 100 * x['testAccuracy']

summary = []
for key in sorted(by, key=lambda k: (k[0], TASKS.index(k[1]))):
    b, task = key
    rows = by[key]
    some = next(iter(next(iter(rows.values())).values()))
    print(f"\n#### {b} training labels/class, {task} ({some['val_n']} validation images, {some['steps']} steps)\n")
    print('| row | n | validation accuracy % | test error % | validation per seed | test error per seed |')
    print('|---|---|---|---|---|---|')
    for row in [r for r in ROWS if r in rows]:
        xs = [rows[row][s] for s in sorted(rows[row])]
        print(f"| {NAMES[row]} | {len(xs)} | {ms([val(x) for x in xs], '%.1f')} | {ms([err(x) for x in xs])} | "
              + ' / '.join(f"{val(x):.0f}" if x['val_n'] <= 100 else f"{val(x):.1f}" for x in xs) + ' | '
              + ' / '.join(f"{err(x):.2f}" for x in xs) + ' |')
    line = {'budget': b, 'task': task}
    for row in [r for r in ROWS if r in rows and r != 'ft10']:
        seeds = [s for s in sorted(rows[row]) if 'ft10' in rows and s in rows['ft10']]
        if not seeds: continue
        dv = [val(rows[row][s]) - val(rows['ft10'][s]) for s in seeds]
        de = [err(rows[row][s]) - err(rows['ft10'][s]) for s in seeds]
        print(f"\n{NAMES[row]} − ft10, paired by seed: validation accuracy {ms(dv)} pp (per seed " + ', '.join(f'{d:+.1f}' for d in dv)
              + f"); test error {ms(de)} pp (per seed " + ', '.join(f'{d:+.2f}' for d in de) + ') (positive error: worse than ft10).')
        line[row] = (st.mean(dv), st.mean(de), len(seeds))
    full = [r for r in ROWS if r in rows and len(rows[r]) == 3]
    if 'ft10' in full and 'af' in full:
        vm = {r: round(st.mean(val(rows[r][s]) for s in rows[r]), 6) for r in full}
        top = [r for r in full if vm[r] == max(vm.values())]
        print(f"\nValidation ranks first (seed mean, rows with 3 seeds): {' and '.join(NAMES[r] for r in top)}"
              + (' (tied)' if len(top) > 1 else '') + f" at {max(vm.values()):.1f} %; test error of that row: "
              + '; '.join(f"{NAMES[r]} {ms([err(rows[r][s]) for s in rows[r]])}" for r in top)
              + ''.join(f"; {NAMES[r]} left out ({len(rows[r])} seeds)" for r in ROWS if r in rows and r not in full) + '.')
        order = sorted(full, key=lambda r: -vm[r])
        print('Validation order (seed means): ' + ''.join((('' if i == 0 else ' = ' if vm[r] == vm[order[i - 1]] else ' > ') + f"{NAMES[r]} {vm[r]:.2f}") for i, r in enumerate(order)) + '.')
        line['first'] = top
        line['out'] = [r for r in ROWS if r in rows and r not in full]
    summary.append(line)

print('\n#### AdaFilter against ft10 over the settings (seed means; differences paired by seed, pp)\n')
print('| setting | val ft10 | val AdaFilter | test error ft10 | test error AdaFilter | AF − ft10 val | AF − ft10 test error | per seed, validation prefers | validation ranks first |')
print('|---|---|---|---|---|---|---|---|---|')
for l in summary:
    rows = by[(l['budget'], l['task'])]
    a = l.get('af')
    if not a: continue
    seeds = [s for s in sorted(rows['af']) if s in rows['ft10']]
    pref = ['AF' if val(rows['af'][s]) > val(rows['ft10'][s]) else 'ft10' if val(rows['af'][s]) < val(rows['ft10'][s]) else 'tie' for s in seeds]
    mv = lambda r, f: '%.1f' % st.mean(f(rows[r][s]) for s in seeds) if f is val else '%.2f' % st.mean(f(rows[r][s]) for s in seeds)
    print(f"| {l['budget']}/{l['task']} (n={a[2]}) | {mv('ft10', val)} | {mv('af', val)} | {mv('ft10', err)} | {mv('af', err)} | {a[0]:+.2f} | {a[1]:+.2f} | "
          f"{' / '.join(pref)} | {', '.join(NAMES[r] for r in l.get('first', [])) or '-'}{''.join(f' ({NAMES[r]} not ranked: {len(rows[r])} seeds)' for r in l.get('out', []))} |")
af = [l['af'] for l in summary if 'af' in l]
if af:
    print(f"| mean over {len(af)} settings | | | | | {st.mean(a[0] for a in af):+.2f} | {st.mean(a[1] for a in af):+.2f} | | |")
