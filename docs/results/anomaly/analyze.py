#!/usr/bin/env python3
"""Tables of docs/results/anomaly.md (issue 19) from the per-run records in records/ (each the --json output of one
`adaptune anomaly` run, named as in commands.tsv). Usage: python3 analyze.py [SECTION...] with SECTION among
defect, defect-ft, defect-ft-lr, fm-base, npca-sum, fm-ft, fm-c5, objective, fm-e2, fm-c5-aug, fm-bytype (default: all); ANOMALY_RECORDS=DIR reads another folder. Prints markdown.
Spread = sample std over seeds (n - 1); the mean over categories/classes is taken per seed first."""
import json, os, statistics as st, sys
from glob import glob

R = os.environ.get('ANOMALY_RECORDS') or os.path.join(os.path.dirname(os.path.abspath(__file__)), 'records')
CATS = ['grating', 'checkerboard', 'blobs', 'gabor-noise', 'rings']
FT_CATS = ['checkerboard', 'blobs', 'gabor-noise', 'rings']
LRS = ['1e-4', '1e-3', '1e-2']


def load(name):
    p = os.path.join(R, name + '.json')
    if not os.path.exists(p) or os.path.getsize(p) == 0: return None
    return json.load(open(p))


def ms(v):
    v = [100 * x for x in v]
    if not v: return 'n/a'
    if len(v) == 1: return f'{v[0]:.1f} (1 seed)'
    return f'{st.mean(v):.1f} ± {st.stdev(v):.1f}'


def seeds(prefix):
    out = []
    for s in range(3):
        r = load(f'{prefix}-s{s}')
        if r: out.append(r)
    return out


def rows(r): return {x['category']: x for x in r['rows']}


def defect_table():
    print('### Procedural defects: pre-trained Gaussian AD and PaDiM (3 seeds each)\n')
    variants = [('defect-new', 'new default: mean-distance, PaDiM 11 of 48 channels'), ('defect-old', 'old: squared sum, PaDiM all 48 channels'),
                ('defect-padim15', 'PaDiM 15 of 48 channels'), ('defect-padim24', 'PaDiM 24 of 48 channels')]
    metrics = [('image AUROC (Gaussian AD)', lambda x: x['gaussianAD']['auroc']), ('TPR @ 5 % FPR', lambda x: x['gaussianAD']['tprAt5']),
               ('PaDiM image AUROC', lambda x: x['segmentation']['pretrained']['imageAuroc']), ('pixel AUROC', lambda x: x['segmentation']['pretrained']['pixelAuroc']),
               ('PRO @ 0.3', lambda x: x['segmentation']['pretrained']['pro'])]
    for prefix, label in variants:
        rs = seeds(prefix)
        if not rs: continue
        print(f'**{label}** (`{prefix}-s0..2`, {len(rs)} seeds), mean ± std over seeds, %:\n')
        print('| metric | ' + ' | '.join(CATS) + ' | **mean** |')
        print('|---' * (len(CATS) + 2) + '|')
        for mname, f in metrics:
            if prefix.startswith('defect-padim') and 'PaDiM' not in mname and 'pixel' not in mname and 'PRO' not in mname: continue
            cells = [ms([f(rows(r)[c]) for r in rs]) for c in CATS]
            cells.append('**' + ms([st.mean(f(rows(r)[c]) for c in CATS) for r in rs]) + '**')
            print(f'| {mname} | ' + ' | '.join(cells) + ' |')
        print()


def early_stop_pick(h, patience=5):
    """Replays the engine's rule: stop after `patience` evaluations without a strictly higher val AUROC; keep the best so far."""
    best, since = 0, 0
    for i in range(1, len(h)):
        if h[i]['valAuroc'] > h[best]['valAuroc']: best, since = i, 0
        else:
            since += 1
            if since >= patience: break
    return best


def val_pick(h, upto=None):
    h = [x for x in h if upto is None or x['epoch'] <= upto]
    b = 0
    for i in range(1, len(h)):
        if h[i]['valAuroc'] > h[b]['valAuroc']: b = i
    return h[b]


def defect_ft_table(names=None, label='Adam lr 1e-3'):
    rs = seeds('defect-ft-lr1e-3') if names is None else [r for r in map(load, names) if r]
    if not rs: return
    print(f'### Procedural defects: fine-tuning, {label}, 20 epochs to the end ({len(rs)} seeds)\n')
    print('| category | epoch 0 | early stop (P = 5): epochs -> AUROC | best validation epoch | oracle | last (20) | val AUROC epoch 0 -> 20 | refit-all selected / last | pixel AUROC before / after | PRO before / after |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    agg = {k: [[] for _ in rs] for k in ['e0', 'es', 'bv', 'or', 'last', 'v0', 'v20', 'sel', 'rlast', 'pb', 'pa', 'rb', 'ra']}
    for c in FT_CATS:
        cell = {k: [] for k in agg}
        eps = {'es': [], 'bv': [], 'or': []}
        for i, r in enumerate(rs):
            x = rows(r)[c]; f = x['finetune']; h = f['history']
            es = h[early_stop_pick(h)]; bv = val_pick(h); orc = max(h, key=lambda y: y['testAuroc'])
            vals = {'e0': h[0]['testAuroc'], 'es': es['testAuroc'], 'bv': bv['testAuroc'], 'or': orc['testAuroc'], 'last': h[-1]['testAuroc'],
                    'v0': h[0]['valAuroc'], 'v20': h[-1]['valAuroc'], 'sel': f['selected']['auroc'], 'rlast': f['last']['auroc'],
                    'pb': x['segmentation']['pretrained']['pixelAuroc'], 'pa': x['segmentation']['finetuned']['pixelAuroc'],
                    'rb': x['segmentation']['pretrained']['pro'], 'ra': x['segmentation']['finetuned']['pro']}
            for k, v in vals.items(): cell[k].append(v); agg[k][i].append(v)
            eps['es'].append(es['epoch']); eps['bv'].append(bv['epoch']); eps['or'].append(orc['epoch'])
        e = lambda k: ','.join(map(str, eps[k]))
        print(f"| {c} | {ms(cell['e0'])} | {e('es')} -> {ms(cell['es'])} | {e('bv')} -> {ms(cell['bv'])} | {e('or')} -> {ms(cell['or'])} | {ms(cell['last'])} | "
              f"{100*st.mean(cell['v0']):.1f} -> {100*st.mean(cell['v20']):.1f} | {ms(cell['sel'])} / {ms(cell['rlast'])} | {ms(cell['pb'])} / {ms(cell['pa'])} | {ms(cell['rb'])} / {ms(cell['ra'])} |")
    m = {k: [st.mean(v) for v in agg[k]] for k in agg}
    print(f"| **mean** | **{ms(m['e0'])}** | **{ms(m['es'])}** | {ms(m['bv'])} | {ms(m['or'])} | **{ms(m['last'])}** | {100*st.mean(m['v0']):.1f} -> {100*st.mean(m['v20']):.1f} | "
          f"{ms(m['sel'])} / {ms(m['rlast'])} | {ms(m['pb'])} / {ms(m['pa'])} | {ms(m['rb'])} / {ms(m['ra'])} |\n")
    return m


def defect_ft_lr_tables():
    """lr 1e-4 against lr 1e-3, both run at the same commit (the lr 1e-3 reruns of section 4c), 3 seeds each."""
    lo = defect_ft_table([f'defect-ft-lr1e-4-s{s}' for s in range(3)], 'Adam lr 1e-4')
    hi = defect_ft_table(['defect-ft-lr1e-3-s0-head', 'defect-ft-lr1e-3-rerun-s1', 'defect-ft-lr1e-3-rerun-s2'], 'Adam lr 1e-3, rerun at the same commit as lr 1e-4')
    if lo and hi:
        d = lambda k: [100 * (a - b) for a, b in zip(lo[k], hi[k])]
        print('lr 1e-4 minus lr 1e-3 (category means, paired by seed, points): ' + '; '.join(
            f"{n} {st.mean(d(k)):+.1f} ± {st.stdev(d(k)):.1f}" for n, k in [('early stop', 'es'), ('best validation epoch', 'bv'), ('last', 'last'), ('oracle', 'or')]) + '.\n')


def npca_sum_table():
    """NPCA under the squared-sum combination (the detector's own config, --set method.combine=sum) against plain
    Ledoit-Wolf with the squared sum (the `ledoit-wolf-sum` baseline of fm-base), 3 test draws each."""
    base = seeds('fm-base')
    got = {n: seeds(f'fm-npca{n}-sum') for n in ['0.99', '0.95']}
    if not base or not all(got.values()): return
    print(f'### One-class Fashion-MNIST, pre-trained: NPCA with the squared-sum combination ({len(base)} test draws)\n')
    print('| normal class | Ledoit-Wolf, squared sum (`fm-base`) | NPCA 0.99, squared sum (`fm-npca0.99-sum`) | NPCA 0.95, squared sum (`fm-npca0.95-sum`) |')
    print('|---|---|---|---|')
    classes = [x['category'] for x in base[0]['rows']]
    col = lambda rs, f: [[f(rows(r)[c]) for c in classes] for r in rs]
    lw = col(base, lambda x: x['baselines']['ledoit-wolf-sum']['auroc'])
    np_ = {n: col(rs, lambda x: x['gaussianAD']['auroc']) for n, rs in got.items()}
    for i, c in enumerate(classes):
        print(f"| {c} | {ms([v[i] for v in lw])} | {ms([v[i] for v in np_['0.99']])} | {ms([v[i] for v in np_['0.95']])} |")
    print(f"| **mean** | {ms([st.mean(v) for v in lw])} | {ms([st.mean(v) for v in np_['0.99']])} | {ms([st.mean(v) for v in np_['0.95']])} |\n")


def fm_runs(c):
    out = {}
    for lr in LRS:
        rs = []
        for s in range(3):
            r = load(f'fm-c{c}-lr{lr}-s{s}')
            if r: rs.append((s, r['rows'][0]['finetune']['history']))
        if rs: out[lr] = rs
    return out


def fm_table(c):
    runs = fm_runs(c)
    if not runs: return None
    print(f'**Normal class {c}** (seeds per lr: ' + ', '.join(f'{lr}: {len(v)}' for lr, v in runs.items()) + '), test AUROC %, mean ± std over seeds:\n')
    print('| lr | epoch 0 (no fine-tuning) | E = 2: val-selected (epochs) | E = 2: last | E = 5: val-selected (epochs) | E = 5: last | oracle over 0..5 | val AUROC epochs 0 / 1 / 2 / 3 / 4 / 5 | test AUROC epochs 0 / 1 / 2 / 3 / 4 / 5 |')
    print('|---|---|---|---|---|---|---|---|---|')
    for lr, rs in runs.items():
        e0 = [h[0]['testAuroc'] for _, h in rs]
        s2 = [val_pick(h, 2) for _, h in rs]; s5 = [val_pick(h, 5) for _, h in rs]
        l2 = [h[2]['testAuroc'] for _, h in rs]; l5 = [h[5]['testAuroc'] for _, h in rs if len(h) > 5]
        orc = [max(y['testAuroc'] for y in h) for _, h in rs]
        nep = min(len(h) for _, h in rs)
        vcurve = ' / '.join(f"{100*st.mean(h[e]['valAuroc'] for _, h in rs):.1f}" for e in range(nep))
        tcurve = ' / '.join(f"{100*st.mean(h[e]['testAuroc'] for _, h in rs):.1f}" for e in range(nep))
        print(f"| {lr} | {ms(e0)} | {ms([x['testAuroc'] for x in s2])} ({','.join(str(x['epoch']) for x in s2)}) | {ms(l2)} | "
              f"{ms([x['testAuroc'] for x in s5])} ({','.join(str(x['epoch']) for x in s5)}) | {ms(l5)} | {ms(orc)} | {vcurve} | {tcurve} |")
    # selection over the whole grid by validation: per seed, the (lr, epoch) with the best val AUROC
    by_seed = {}
    for lr, rs in runs.items():
        for s, h in rs:
            by_seed.setdefault(s, []).extend((x['valAuroc'], x['testAuroc'], lr, x['epoch']) for x in h)
    complete = [s for s in by_seed if all(any(s == t for t, _ in runs[lr]) for lr in runs)]
    picks = [max(by_seed[s], key=lambda t: t[0]) for s in sorted(complete)]
    zeros = [next(t for t in by_seed[s] if t[3] == 0)[1] for s in sorted(complete)]
    orcs = [max(t[1] for t in by_seed[s]) for s in sorted(complete)]
    print(f"\nGrid selection by validation (per seed, the (lr, epoch <= 5) with the highest val AUROC over the lrs run for every seed): "
          f"{ms([p[1] for p in picks])} (picked: {', '.join(f'lr {p[2]} epoch {p[3]}' for p in picks)}); no fine-tuning {ms(zeros)}; oracle over the grid {ms(orcs)}.\n")
    return {'picks': [p[1] for p in picks], 'zeros': zeros}


def e2_histories(prefix):
    rs = [(s, load(f'{prefix}-s{s}')) for s in range(3)]
    return [(s, r['rows'][0]['finetune']['history']) for s, r in rs if r]


def fm_e2_table(c, lr='1e-3', prefix=None, label=''):
    """Runs fm-c{c}-lr{lr}-e2-s* (or PREFIX-s*; 2 epochs to the end): per seed, the validation's pick among epochs 0..2."""
    prefix = prefix or f'fm-c{c}-lr{lr}-e2'
    rs = e2_histories(prefix)
    if not rs: return
    print(f'**Normal class {c}, lr {lr}, 2 epochs{label}** (`{prefix}-s*`, {len(rs)} seeds), AUROC %:\n')
    print('| seed | val AUROC epochs 0 / 1 / 2 | test AUROC epochs 0 / 1 / 2 | val-selected epoch -> test | oracle |')
    print('|---|---|---|---|---|')
    for s, h in rs:
        p = val_pick(h, 2); o = max(h, key=lambda y: y['testAuroc'])
        vc = ' / '.join('%.1f' % (100 * x['valAuroc']) for x in h)
        tc = ' / '.join('%.1f' % (100 * x['testAuroc']) for x in h)
        print(f"| {s} | {vc} | {tc} | {p['epoch']} -> {100*p['testAuroc']:.1f} | {o['epoch']} -> {100*o['testAuroc']:.1f} |")
    print(f"| **mean ± std** | | epoch 0: {ms([h[0]['testAuroc'] for _, h in rs])}, last: {ms([h[-1]['testAuroc'] for _, h in rs])} | {ms([val_pick(h, 2)['testAuroc'] for _, h in rs])} | {ms([max(y['testAuroc'] for y in h) for _, h in rs])} |\n")


def fm_base_table():
    rs = seeds('fm-base')
    if not rs: return
    names = list(rs[0]['rows'][0]['baselines'].keys())
    print(f'### One-class Fashion-MNIST, pre-trained: combination and variants ({len(rs)} test draws)\n')
    print('| normal class | ' + ' | '.join(names) + ' |')
    print('|---' * (len(names) + 1) + '|')
    classes = [x['category'] for x in rs[0]['rows']]
    for c in classes:
        print(f'| {c} | ' + ' | '.join(ms([rows(r)[c]['baselines'][n]['auroc'] for r in rs]) for n in names) + ' |')
    print('| **mean** | ' + ' | '.join(ms([st.mean(rows(r)[c]['baselines'][n]['auroc'] for c in classes) for r in rs]) for n in names) + ' |\n')


def md(a, b):
    """Paired difference a - b (per seed), in points: mean ± std (n)."""
    d = [100 * (x - y) for x, y in zip(a, b)]
    if len(d) < 2: return ' '.join(f'{x:+.1f}' for x in d) + f' (n={len(d)})'
    return f'{st.mean(d):+.1f} ± {st.stdev(d):.1f} (per seed: ' + ', '.join(f'{x:+.1f}' for x in d) + ')'


def maxdiff(h1, h2):
    """Largest |test AUROC| difference, in points, over the epochs both histories have."""
    return max(abs(100 * (x['testAuroc'] - y['testAuroc'])) for x, y in zip(h1, h2))


def objective_tables():
    """The objective ablation: --objective euclidean against the default Mahalanobis objective, lr 1e-3, 3 seeds.
    Mahalanobis at the Euclidean runs' commit: defect-ft-lr1e-3-s0-head (seed 0) and defect-ft-lr1e-3-rerun-s1/-s2
    (when all 3 exist; else the section-2 records of the same flags, commit bc9fd7d, are the Mahalanobis row)."""
    head = [load('defect-ft-lr1e-3-s0-head'), load('defect-ft-lr1e-3-rerun-s1'), load('defect-ft-lr1e-3-rerun-s2')]
    old = seeds('defect-ft-lr1e-3')
    sets = []
    if all(head): sets.append(('head', 'Mahalanobis (default), same commit as the Euclidean runs', '`defect-ft-lr1e-3-s0-head`, `-rerun-s1`, `-rerun-s2`', head))
    sets.append(('euc', 'Euclidean (`--objective euclidean`)', '`defect-ft-lr1e-3-euc-s0..2`', seeds('defect-ft-lr1e-3-euc')))
    sets.append(('old', 'Mahalanobis (default), the section-2 records (commit bc9fd7d)', '`defect-ft-lr1e-3-s0..2`', old))
    per = {}
    for key, label, names, rs in sets:
        if not rs: continue
        agg = {k: [[] for _ in rs] for k in ['e0', 'es', 'bv', 'or', 'last', 'v0', 'v20']}
        cat = {}
        for c in FT_CATS:
            cat[c] = {k: [] for k in agg}
            for i, r in enumerate(rs):
                h = rows(r)[c]['finetune']['history']
                vals = {'e0': h[0]['testAuroc'], 'es': h[early_stop_pick(h)]['testAuroc'], 'bv': val_pick(h)['testAuroc'],
                        'or': max(y['testAuroc'] for y in h), 'last': h[-1]['testAuroc'], 'v0': h[0]['valAuroc'], 'v20': h[-1]['valAuroc']}
                for k, v in vals.items(): agg[k][i].append(v); cat[c][k].append(v)
        per[key] = (label, names, {k: [st.mean(v) for v in agg[k]] for k in agg}, cat, rs)
    print('### Procedural defects, lr 1e-3, 20 epochs: objective (mean of the 4 categories per seed, then mean ± std over seeds), %\n')
    print('| objective (runs) | seeds | epoch 0 | early stop (P = 5) | best validation epoch | oracle | last (20) | val AUROC epoch 0 -> 20 |')
    print('|---|---|---|---|---|---|---|---|')
    for key, (label, names, m, _, rs) in per.items():
        print(f"| {label} ({names}) | {len(rs)} | {ms(m['e0'])} | {ms(m['es'])} | {ms(m['bv'])} | {ms(m['or'])} | {ms(m['last'])} | {100*st.mean(m['v0']):.1f} -> {100*st.mean(m['v20']):.1f} |")
    for ref in ['head', 'old']:
        if ref not in per or 'euc' not in per: continue
        x_, y_ = per[ref], per['euc']
        print(f'\nPer category, Mahalanobis ({"same commit" if ref == "head" else "commit bc9fd7d"}) / Euclidean, mean ± std over seeds, %:\n')
        print('| category | best validation epoch | oracle | last (20) | val AUROC epoch 20 |')
        print('|---|---|---|---|---|')
        for c in FT_CATS:
            x, y = x_[3][c], y_[3][c]
            print(f"| {c} | {ms(x['bv'])} / {ms(y['bv'])} | {ms(x['or'])} / {ms(y['or'])} | {ms(x['last'])} / {ms(y['last'])} | {100*st.mean(x['v20']):.1f} / {100*st.mean(y['v20']):.1f} |")
        print(f'\nEuclidean minus Mahalanobis ({"same commit" if ref == "head" else "commit bc9fd7d"}), paired by seed, on the 4-category mean (points):\n')
        for k, n in [('bv', 'best validation epoch'), ('es', 'early stop'), ('or', 'oracle'), ('last', 'last (20)')]:
            print(f"- {n}: {md(y_[2][k], x_[2][k])}")
        print()
        break
    for s, (r1, r2) in enumerate(zip(head, old)):
        if not (r1 and r2): continue
        h = lambda r, c: rows(r)[c]['finetune']['history']
        d = [maxdiff(h(r1, c), h(r2, c)) for c in FT_CATS]
        m = lambda r, f: 100 * st.mean(f(h(r, c)) for c in FT_CATS)
        fs = [('best validation epoch', lambda x: val_pick(x)['testAuroc']), ('oracle', lambda x: max(y['testAuroc'] for y in x)), ('last', lambda x: x[-1]['testAuroc'])]
        print(f'- Check, Mahalanobis seed {s}, this commit vs commit bc9fd7d (same flags): epoch 0 '
              f"{'identical' if all(h(r1, c)[0] == h(r2, c)[0] for c in FT_CATS) else 'differs'}; largest per-epoch test AUROC difference in one category {max(d):.2f} points; "
              '4-category mean ' + ', '.join(f'{n} {m(r1, f):.2f} vs {m(r2, f):.2f}' for n, f in fs) + '.')
    print()
    fm_objective(5)
    fm_objective(8)


def fm_objective(c):
    """FMNIST class c, lr 1e-3, 2 epochs: Mahalanobis (fm-cC-lr1e-3-e2-rerun-s* if present, else fm-cC-lr1e-3-e2-s*) vs euclidean."""
    maha = f'fm-c{c}-lr1e-3-e2-rerun' if load(f'fm-c{c}-lr1e-3-e2-rerun-s0') else f'fm-c{c}-lr1e-3-e2'
    got = {}
    for prefix, label in [(maha, 'Mahalanobis (default)'), (f'fm-c{c}-lr1e-3-e2-euc', 'Euclidean')]:
        rs = [(s, load(f'{prefix}-s{s}')) for s in range(3)]
        rs = [(s, r['rows'][0]['finetune']['history']) for s, r in rs if r]
        if rs: got[prefix] = (label, rs)
    if not got: return
    print(f'### Fashion-MNIST one-class, normal class {c}, lr 1e-3, 2 epochs: objective, test AUROC %, mean ± std over seeds\n')
    print('| objective (runs) | seeds | epoch 0 | val-selected: epochs -> AUROC | oracle: epochs -> AUROC | last (epoch 2) | val AUROC epochs 0 / 1 / 2 | test AUROC epochs 0 / 1 / 2 |')
    print('|---|---|---|---|---|---|---|---|')
    for prefix, (label, rs) in got.items():
        sel = [val_pick(h, 2) for _, h in rs]; orc = [max(h, key=lambda y: y['testAuroc']) for _, h in rs]
        vc = ' / '.join(f"{100*st.mean(h[e]['valAuroc'] for _, h in rs):.1f}" for e in range(3))
        tc = ' / '.join(f"{100*st.mean(h[e]['testAuroc'] for _, h in rs):.1f}" for e in range(3))
        print(f"| {label} (`{prefix}-s*`) | {len(rs)} | {ms([h[0]['testAuroc'] for _, h in rs])} | {','.join(str(x['epoch']) for x in sel)} -> {ms([x['testAuroc'] for x in sel])} | "
              f"{','.join(str(x['epoch']) for x in orc)} -> {ms([x['testAuroc'] for x in orc])} | {ms([h[2]['testAuroc'] for _, h in rs])} | {vc} | {tc} |")
    if len(got) == 2:
        (_, ma), (_, eu) = got.values()
        print('\nEuclidean minus Mahalanobis, paired by seed (points): ' +
              '; '.join(f"{n} {md([f(h) for _, h in eu], [f(h) for _, h in ma])}" for n, f in
                        [('val-selected', lambda h: val_pick(h, 2)['testAuroc']), ('oracle', lambda h: max(y['testAuroc'] for y in h)), ('last', lambda h: h[2]['testAuroc'])]) + '.\n')
    # check: the Mahalanobis runs at this commit against earlier records of the same seeds
    ref = f'fm-c{c}-lr1e-3-e2' if maha.endswith('rerun') else (f'fm-c{c}-lr1e-3' if c == 8 else None)
    if ref:
        pairs = [(load(f'{maha}-s{s}'), load(f'{ref}-s{s}')) for s in range(3)]
        d = [maxdiff(a['rows'][0]['finetune']['history'], b['rows'][0]['finetune']['history'][:3]) for a, b in pairs if a and b]
        if d: print(f'Check, `{maha}-s*` vs `{ref}-s*` (commit bc9fd7d; epochs 0..2): largest test AUROC difference {max(d):.2f} points over {len(d)} seeds.\n')


NAMES = {5: 'sandal', 6: 'shirt', 7: 'sneaker', 8: 'bag', 9: 'ankle boot'}


def fm_e2_summary():
    """Every class at lr 1e-3, 2 epochs to the end, 3 seeds (sandal: the -rerun records, same commit family as the
    others): does the validation's pick beat not fine-tuning? Differences paired by seed, in points."""
    print('### Fashion-MNIST one-class, lr 1e-3, 2 epochs, every normal class: the validation\'s pick against not fine-tuning\n')
    print('| normal class (runs) | seeds | epoch 0 (no fine-tuning) | val-selected: epochs -> test | oracle: epochs -> test | last (epoch 2) | val-selected minus epoch 0 | val-selected minus oracle | val AUROC epochs 0 / 1 / 2 | test AUROC epochs 0 / 1 / 2 |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for c in [5, 6, 7, 8, 9]:
        prefix = f'fm-c{c}-lr1e-3-e2-rerun' if c == 5 and load('fm-c5-lr1e-3-e2-rerun-s0') else f'fm-c{c}-lr1e-3-e2'
        rs = e2_histories(prefix)
        if not rs: continue
        sel = [val_pick(h, 2) for _, h in rs]; orc = [max(h, key=lambda y: y['testAuroc']) for _, h in rs]
        e0 = [h[0]['testAuroc'] for _, h in rs]
        vc = ' / '.join(f"{100*st.mean(h[e]['valAuroc'] for _, h in rs):.1f}" for e in range(3))
        tc = ' / '.join(f"{100*st.mean(h[e]['testAuroc'] for _, h in rs):.1f}" for e in range(3))
        ep = lambda xs: ','.join(str(x['epoch']) for x in xs)
        print(f"| {c} {NAMES[c]} (`{prefix}-s*`) | {len(rs)} | {ms(e0)} | {ep(sel)} -> {ms([x['testAuroc'] for x in sel])} | {ep(orc)} -> {ms([x['testAuroc'] for x in orc])} | "
              f"{ms([h[2]['testAuroc'] for _, h in rs])} | {md([x['testAuroc'] for x in sel], e0)} | {md([x['testAuroc'] for x in sel], [x['testAuroc'] for x in orc])} | {vc} | {tc} |")
    print()


def fm_c5_aug():
    """Sandal, lr 1e-3, 2 epochs, validation anomalies from MixUp and CutMix only (--set method.augmentations=["mixup","cutmix"])
    against the default five kinds (fm-c5-lr1e-3-e2-rerun-s*), paired by seed."""
    alt, ref = 'fm-c5-lr1e-3-e2-aug-mixup-cutmix', 'fm-c5-lr1e-3-e2-rerun'
    a, b = e2_histories(alt), e2_histories(ref)
    if not a: return
    fm_e2_table(5, prefix=alt, label=', validation anomalies MixUp + CutMix only')
    pairs = [(ha, hb) for (sa, ha) in a for (sb, hb) in b if sa == sb]
    if not pairs: return
    same = all(abs(x['testAuroc'] - y['testAuroc']) < 1e-12 for ha, hb in pairs for x, y in zip(ha, hb))
    print(f'Against the default five kinds (`{ref}-s*`, paired by seed, points): val-selected ' +
          md([val_pick(ha, 2)['testAuroc'] for ha, _ in pairs], [val_pick(hb, 2)['testAuroc'] for _, hb in pairs]) +
          '; val AUROC epoch 0 ' + md([ha[0]['valAuroc'] for ha, _ in pairs], [hb[0]['valAuroc'] for _, hb in pairs]) +
          '; val AUROC rise epoch 0 -> 2: ' + ', '.join(f"{100*(ha[2]['valAuroc']-ha[0]['valAuroc']):+.1f} vs {100*(hb[2]['valAuroc']-hb[0]['valAuroc']):+.1f}" for ha, hb in pairs) +
          f"; test AUROC per epoch {'identical' if same else 'largest difference %.2f points' % max(maxdiff(ha, hb) for ha, hb in pairs)} (the validation set does not enter the training loss; the default runs are of another commit).\n")


def fm_bytype():
    """Per anomaly class (rows[].*.byType): the AUROC of the normal test images against each other class alone, before
    fine-tuning (gaussianAD) and after 2 epochs at lr 1e-3 (finetune.last = the validation's pick here), paired by seed."""
    for c in [5, 9]:
        rs = seeds(f'fm-c{c}-lr1e-3-e2-bytype')
        if not rs: continue
        rr = [r['rows'][0] for r in rs]
        kinds = sorted(rr[0]['gaussianAD']['byType'])
        print(f'**Normal class {c} ({NAMES[c]}), lr 1e-3, 2 epochs** (`fm-c{c}-lr1e-3-e2-bytype-s*`, {len(rr)} seeds): test AUROC % of the normal images against each anomaly class alone\n')
        print('| anomaly class | before fine-tuning | after (epoch 2) | after minus before, per seed | mean ± std |')
        print('|---|---|---|---|---|')
        for k in kinds + ['all']:
            pre = [x['gaussianAD']['byType'][k] if k != 'all' else x['gaussianAD']['auroc'] for x in rr]
            post = [x['finetune']['last']['byType'][k] if k != 'all' else x['finetune']['last']['auroc'] for x in rr]
            d = [100 * (b - a) for a, b in zip(pre, post)]
            print(f"| {k if k != 'all' else '**all four**'} | {ms(pre)} | {ms(post)} | {' / '.join(f'{x:+.1f}' for x in d)} | {st.mean(d):+.1f} ± {st.stdev(d) if len(d) > 1 else 0:.1f} |")
        print()


if __name__ == '__main__':
    want = sys.argv[1:] or ['defect', 'defect-ft', 'defect-ft-lr', 'fm-base', 'npca-sum', 'fm-ft', 'fm-c5', 'objective', 'fm-e2', 'fm-c5-aug', 'fm-bytype']
    if 'defect' in want: defect_table()
    if 'defect-ft' in want: defect_ft_table()
    if 'defect-ft-lr' in want: defect_ft_lr_tables()
    if 'npca-sum' in want: npca_sum_table()
    if 'fm-base' in want: fm_base_table()
    if 'fm-ft' in want:
        for c in [8, 5, 9, 6, 7]:
            fm_table(c)
    if 'fm-c5' in want:
        for lr in ['1e-3', '1e-4']: fm_e2_table(5, lr)
    if 'objective' in want: objective_tables()
    if 'fm-e2' in want:
        for c in [7, 9, 6]: fm_e2_table(c)
        fm_e2_summary()
    if 'fm-c5-aug' in want: fm_c5_aug()
    if 'fm-bytype' in want: fm_bytype()
