#!/usr/bin/env python3
"""AMP (unit columns) vs the large-system and finite-N SE per point of sweep-amp/points.jsonl (mean ± std over pilot seeds).
python3 docs/results/jadce/n200/sweep-amp-table.py"""
import json, math, os, statistics as st
D = os.path.dirname(os.path.abspath(__file__))
pts = [json.loads(l) for l in open(os.path.join(D, 'sweep-amp', 'points.jsonl'))]
ms = lambda xs, d=2: f"{st.mean(xs):.{d}f} ± {st.pstdev(xs):.{d}f}"
print('| L | SNR dB | pilot seeds | AMP NMSE dB | P_e | P_MD | P_FA | finite-N SE dB | gap | large-system SE dB | gap |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for key in sorted({(p['pilotLength'], p['snrDb']) for p in pts}):
    ps = [p for p in pts if (p['pilotLength'], p['snrDb']) == key]
    amp = [next(r for r in p['rows'] if r['method'] == 'amp') for p in ps]
    a = [r['nmseDb'] for r in amp]; pooled = 10 * math.log10(st.mean(10 ** (v / 10) for v in a))
    fin = st.mean(p['seFiniteDb'] for p in ps); big = st.mean(p['seDb'] for p in ps)
    print(f"| {key[0]} | {key[1]} | {len(ps)} | {ms(a)} | {ms([r['pe'] for r in amp], 4)} | {ms([r['pMd'] for r in amp], 3)} | {ms([r['pFa'] for r in amp], 4)} | {fin:.2f} | {pooled - fin:+.2f} | {big:.2f} | {pooled - big:+.2f} |")
