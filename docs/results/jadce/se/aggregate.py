#!/usr/bin/env python3
"""AMP (unit columns) vs SE over 3 pilot draws: markdown table from se/unitcol/seed*/se.json, the first session's raw-column run
(se/scalar/seed0) and the NumPy referee (reference/grid-finite.jsonl).  python3 docs/results/jadce/se/aggregate.py
With a directory argument (e.g. unitcol300, the third session's 300 slots per point) the table of se/DIR/seed*/se.json with
the finite-N SE pooled over the Binomial K and over the slots' own K.  python3 docs/results/jadce/se/aggregate.py unitcol300"""
import glob, json, math, os, statistics as st, sys
D = os.path.dirname(os.path.abspath(__file__))
lin = lambda db: 10 ** (db / 10)
dbl = lambda v: 10 * math.log10(v)
for arg in sys.argv[1:]:
    runs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(D, arg, 'seed*', 'se.json')) + glob.glob(os.path.join(D, arg, 'se.json')))]
    o = runs[0]['options']
    print(f"N = {runs[0]['scenario']['devices']}, M = {runs[0]['scenario']['antennas']} ({arg}): {len(runs)} pilot draw(s) (seeds {', '.join(str(r['options']['seed']) for r in runs)}) x {o['slots']} slots per point = {len(runs) * o['slots']} slots; pooled = mean of the linear NMSE over the draws (both sides).\n")
    print("| L | SNR dB | AMP pooled | per draw (mean ± std) | finite-N SE (Binomial K) | gap | SE at the slots' K | **gap** | max per-draw gap (slots' K) | large-system SE | gap | P_e |")
    print('|---|---|---|---|---|---|---|---|---|---|---|---|')
    w1 = w2 = n = 0; worst = (0, None)
    for key in sorted({(r['pilotLength'], r['snrDb']) for r in runs[0]['rows']}):
        rows = [next(r for r in run['rows'] if (r['pilotLength'], r['snrDb']) == key) for run in runs]
        amp = dbl(st.mean(lin(r['ampFinalDb']) for r in rows)); fin = dbl(st.mean(lin(r['seFiniteFinalDb']) for r in rows))
        sl = dbl(st.mean(lin(r['seSlotsFinalDb']) for r in rows)); big = dbl(st.mean(lin(r['seFinalDb']) for r in rows))
        n += 1; w1 += abs(amp - fin) < 0.5; w2 += abs(amp - sl) < 0.5
        if abs(amp - sl) > abs(worst[0]): worst = (amp - sl, key)
        print(f"| {key[0]} | {key[1]} | {amp:.2f} | {st.mean(r['ampFinalDb'] for r in rows):.2f} ± {st.pstdev([r['ampFinalDb'] for r in rows]):.2f} | {fin:.2f} | {amp - fin:+.2f} | {sl:.2f} | **{amp - sl:+.2f}** | "
              f"{max(abs(r['slotsGapDb']) for r in rows):.2f} | {big:.2f} | {amp - big:+.2f} | {st.mean(r['pe'] for r in rows):.4f} |")
    print(f"\nWithin 0.5 dB: {w2} of {n} against the SE at the slots' K, {w1} of {n} against the Binomial finite-N SE; largest gap (slots' K) {worst[0]:+.2f} dB at L = {worst[1][0]}, {worst[1][1]} dB. Iterations {o['iterations']}, damping {o['damping']}.\n")
if len(sys.argv) > 1: sys.exit(0)
runs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(D, 'unitcol', 'seed*', 'se.json')))]
old = {(r['pilotLength'], r['snrDb']): r for r in json.load(open(os.path.join(D, 'scalar', 'seed0', 'se.json')))['rows']}
ref = {}
rf = os.path.join(D, '..', 'reference', 'grid-finite.jsonl')
if os.path.exists(rf):
    for line in open(rf):
        if line.startswith('{'): j = json.loads(line); ref[(j['L'], int(j['snr']))] = j
print(f"{len(runs)} pilot draws (seeds {', '.join(str(r['options']['seed']) for r in runs)}), {runs[0]['options']['slots']} slots each per point; pooled = mean of the linear NMSE over the draws.\n")
print('| L | SNR dB | AMP raw columns (old, seed 0) | AMP unit columns, pooled | per draw (mean ± std) | finite-N SE | **gap** | max per-draw gap | large-system SE | gap | P_e | NumPy: AMP unit / finite-N SE / genie LMMSE |')
print('|---|---|---|---|---|---|---|---|---|---|---|---|')
within = 0; n = 0; worst = (0, None)
for key in sorted({(r['pilotLength'], r['snrDb']) for r in runs[0]['rows']}):
    rows = [next(r for r in run['rows'] if (r['pilotLength'], r['snrDb']) == key) for run in runs]
    amps = [r['ampFinalDb'] for r in rows]
    pooled = 10 * math.log10(st.mean(lin(a) for a in amps))
    fin = st.mean(r['seFiniteFinalDb'] for r in rows); big = st.mean(r['seFinalDb'] for r in rows)
    gap = pooled - fin; n += 1; within += abs(gap) < 0.5
    if abs(gap) > abs(worst[0]): worst = (gap, key)
    o = old.get(key); rr = ref.get(key)
    print(f"| {key[0]} | {key[1]} | {o['ampFinalDb']:.2f} | {pooled:.2f} | {st.mean(amps):.2f} ± {st.pstdev(amps):.2f} | {fin:.2f} | **{gap:+.2f}** | {max(abs(r['finiteGapDb']) for r in rows):.2f} | {big:.2f} | {pooled - big:+.2f} | {st.mean(r['pe'] for r in rows):.4f} | "
          + (f"{rr['amp_unit']:.2f} / {rr['se_finite']:.2f} / {rr['genie_lmmse']:.2f} |" if rr else '- |'))
print(f"\nWithin 0.5 dB of the finite-N SE: {within} of {n}; largest gap {worst[0]:+.2f} dB at L = {worst[1][0]}, {worst[1][1]} dB. Iterations {runs[0]['options']['iterations']}, damping {runs[0]['options']['damping']}.")
