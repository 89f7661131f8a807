#!/usr/bin/env python3
"""Markdown tables from nsweep.sh's records (issue 18, third session).  python3 docs/results/jadce/reference/nsweep_table.py"""
import json, os
D = os.path.dirname(os.path.abspath(__file__))
rd = lambda f: [json.loads(l) for l in open(os.path.join(D, f)) if l.startswith('{')] if os.path.exists(os.path.join(D, f)) else []
sw = sorted(rd('nsweep.jsonl'), key=lambda r: (r['snr'], r['N']))
print('Binomial K, N/L = 16.7, activity 0.05, M = 16 (seed 1; AMP: damping 0.6, 100 iterations, unit columns; NMSE = sum of errors / sum of energies over the slots)\n')
print('| SNR dB | N | L | slots | AMP | SE at the slots\' K | **gap** | finite-N SE (Binomial) | gap | genie LMMSE |')
print('|---|---|---|---|---|---|---|---|---|---|')
for r in sw:
    print(f"| {r['snr']:g} | {r['N']} | {r['L']} | {r['slots']} | {r['amp']:.2f} | {r['se_on_slots_K']:.2f} | **{r['amp'] - r['se_on_slots_K']:+.2f}** | {r['se_pooled']:.2f} | {r['amp'] - r['se_pooled']:+.2f} | {r['genie']:.2f} |")
print('\nN = 500, L = 30 by the number K of active devices (200 slots per SNR): AMP / SE of K / genie (dB), slots, and the share of AMP\'s total error\n')
five = [r for r in sw if r['N'] == 500]
ks = [b['K'] for b in five[0]['bins']] if five else []
print('| SNR dB | ' + ' | '.join(f'K in {k}' for k in ks) + ' |'); print('|---|' + '---|' * len(ks))
for r in five:
    cells = {b['K']: f"{b['amp']:.2f} / {b['se']:.2f} / {b['genie']:.2f} ({b['n']}; {100 * b['share_amp_err']:.0f} %)" for b in r['bins']}
    print(f"| {r['snr']:g} | " + ' | '.join(cells.get(k, '-') for k in ks) + ' |')
fk = sorted(rd('fixedk.jsonl'), key=lambda r: (r['snr'], r['K'] / r['L'], r['N']))
print('\nExactly K active devices (N/L = 16.7, so K/N = 0.06 K/L), seed 0\n')
print('| SNR dB | K/L | N | L | K | slots | AMP | SE of K | **gap** | genie | AMP at iteration ' + ' / '.join(map(str, fk[0]['trace_it'])) + ' | SE at the same |' if fk else '')
print('|---|---|---|---|---|---|---|---|---|---|---|---|' if fk else '')
for r in fk:
    print(f"| {r['snr']:g} | {r['K'] / r['L']:.1f} | {r['N']} | {r['L']} | {r['K']} | {r['slots']} | {r['amp']:.2f} | {r['se_K']:.2f} | **{r['amp'] - r['se_K']:+.2f}** | {r['genie']:.2f} | {' / '.join(f'{v:.2f}' for v in r['trace_amp'])} | {' / '.join(f'{v:.2f}' for v in r['trace_se'])} |")
for v in rd('variants-fixedk.jsonl'):
    print(f"\nVariants on the same {v['slots']} slots (N = {v['N']}, L = {v['L']}, K = 0.9 L, {v['snr']:g} dB); SE of K {v['se_on_slots']:.2f} dB\n")
    print('| variant | final NMSE dB | gap to SE | best iteration (NMSE dB) | median slot dB |'); print('|---|---|---|---|---|')
    for k, x in v.items():
        if isinstance(x, dict): print(f"| {k} | {x['final']:.2f} | {x['final'] - v['se_on_slots']:+.2f} | {x['best_it']} ({x['best']:.2f}) | {x['median_slot']:.2f} |")
