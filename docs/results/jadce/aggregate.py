#!/usr/bin/env python3
"""Tables (mean +- std over seeds) from eval.json files: python3 aggregate.py DIR [DIR ...], each DIR holding seed*/eval.json.
Prints one markdown table per DIR: method, NMSE dB, NMSE with the LMMSE re-estimate, P_e, P_MD, P_FA, P_MD at P_FA 1e-3 and 1e-2, MMAC/slot."""
import json, math, sys, glob, os

ROC = [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3]

def ms(xs, d):
    m = sum(xs) / len(xs)
    s = math.sqrt(sum((x - m) ** 2 for x in xs) / len(xs))
    return f"{m:.{d}f} ± {s:.{d}f}"

for d in sys.argv[1:]:
    reps = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(d, 'seed*', 'eval.json')))]
    if not reps:
        continue
    sc = reps[0]['testScenario']
    print(f"\n{d}: test N={sc['devices']} M={sc['antennas']} L={sc['pilotLength']} activity {sc['activity']} SNR {sc['snrDb']} dB"
          f"{' path loss' if sc['pathLoss'] else ''}; {len(reps)} seeds ({', '.join(str(r['seed']) for r in reps)}) x {reps[0]['slots']} slots\n")
    print('| method | NMSE dB | NMSE dB (LMMSE on support) | P_e | P_MD | P_FA | P_MD @ P_FA 1e-3 | P_MD @ P_FA 1e-2 | MMAC/slot |')
    print('|---|---|---|---|---|---|---|---|---|')
    for row in reps[0]['rows']:
        m = row['method']
        rs = [next(x for x in r['rows'] if x['method'] == m) for r in reps]
        at = lambda p: ms([r['roc']['pMd'][ROC.index(p)] for r in rs], 4)
        print(f"| {m} | {ms([r['nmseDb'] for r in rs], 2)} | {ms([r['nmseReDb'] for r in rs], 2)} | {ms([r['pe'] for r in rs], 4)} | "
              f"{ms([r['pMd'] for r in rs], 4)} | {ms([r['pFa'] for r in rs], 4)} | {at(1e-3)} | {at(0.01)} | {rs[0]['macsPerSlot'] / 1e6:.2f} |")
