#!/usr/bin/env python3
"""The gate-lr x warm-up grid with a usable validation split (docs/results/adafilter.md, "Choosing on validation").
usage: aggregate-val.py RUNS_DIR_OR_JSONL [OUT.jsonl]
  RUNS_DIR: <row>-s<seed>.json reports (adaptune finetune --json); OUT.jsonl: the compact records written from them.
  A .jsonl input: the checked-in records. Prints the markdown tables: per row the validation accuracy (50 images),
  the test error (5,000 images) and the gates, the paired difference to ft10, and the row validation picks."""
import glob, json, os, statistics as st, sys

SRC = sys.argv[1]
ORDER = ['ft10', 'af-g0-w0', 'af-g0-w80', 'af-g1-w0', 'af-g1-w80', 'af-g10-w0', 'af-g10-w80', 'af-g100-w0', 'af-g100-w80']
if SRC.endswith('.jsonl'):
    recs = [json.loads(l) for l in open(SRC)]
else:
    recs = []
    for f in sorted(glob.glob(os.path.join(SRC, '*-s[0-9].json'))):
        if os.path.getsize(f) == 0: continue
        r = json.load(open(f))
        row, s = os.path.basename(f)[:-5].rsplit('-s', 1)
        g = r.get('gates') or {}
        recs.append({'row': row, 'seed': int(s), 'command': r['command'], 'steps': r['steps'], 'valAccuracy': r['valAccuracy'],
                     'val_n': r['val']['images'], 'testAccuracy': r['testAccuracy'], 'test_n': r['test']['images'],
                     'gateFraction': g.get('fraction'), 'gateEntropy': g.get('entropy')})
    if len(sys.argv) > 2:
        with open(sys.argv[2], 'w') as o:
            for x in sorted(recs, key=lambda x: (ORDER.index(x['row']), x['seed'])): o.write(json.dumps(x) + '\n')

by = {}
for x in recs: by.setdefault(x['row'], {})[x['seed']] = x
def ms(v, f='%.2f'):
    return (f % st.mean(v)) + ((' ± ' + f % st.stdev(v)) if len(v) > 1 else '') + f' (n={len(v)})'

print('| row | validation accuracy % (50 images) | test error % | error minus ft10 (pp, paired by seed) | fine-tuned fraction % | gate entropy (bits) |')
print('|---|---|---|---|---|---|')
for row in [r for r in ORDER if r in by]:
    xs = [by[row][s] for s in sorted(by[row])]
    pair = [100 * (by['ft10'][s]['testAccuracy'] - by[row][s]['testAccuracy']) for s in sorted(by[row]) if 'ft10' in by and s in by['ft10']]
    fr = [100 * x['gateFraction'] for x in xs if x['gateFraction'] is not None]
    en = [x['gateEntropy'] for x in xs if x['gateEntropy'] is not None]
    print(f"| {row} | {ms([100 * x['valAccuracy'] for x in xs], '%.1f')} | {ms([100 - 100 * x['testAccuracy'] for x in xs])} | "
          f"{ms(pair) if row != 'ft10' else '-'} | {ms(fr, '%.1f') if fr else '-'} | {ms(en, '%.3f') if en else '-'} |")

full = [r for r in ORDER if r in by and len(by[r]) == 3]
af = [r for r in full if r != 'ft10']
vmean = lambda r: round(st.mean(100 * by[r][s]['valAccuracy'] for s in by[r]), 6)
if af:
    best = [r for r in full if vmean(r) == max(map(vmean, full))]
    top = [r for r in af if vmean(r) == max(map(vmean, af))]
    print(f"\nChosen on validation (highest seed-mean validation accuracy over the rows with 3 seeds): {', '.join(best)}; among the AdaFilter rows: "
          + ' and '.join(f"{r} (test error {ms([100 - 100 * by[r][s]['testAccuracy'] for s in range(3)])})" for r in top) + (' (tied)' if len(top) > 1 else '') + '.')
    per = [max(af, key=lambda r: by[r][s]['valAccuracy']) for s in range(3)]
    print('Per seed, the AdaFilter row of highest validation accuracy (first in the table order on ties): ' + ', '.join(f"seed {s}: {r} -> test error {100 - 100 * by[r][s]['testAccuracy']:.2f} % (ft10 {100 - 100 * by['ft10'][s]['testAccuracy']:.2f})" for s, r in enumerate(per)) + '.')
