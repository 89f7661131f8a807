/** @module One-class Fashion-MNIST (methods spec 2(e)): one normal class for training; its test images plus as many drawn from the other classes 5..9 as anomalies. */
import { Rng } from '../core/rng.js';
import type { Dataset } from './dataset.js';
import { loadFashionMnist } from './idx.js';

/**
 * One-class Fashion-MNIST (spec 2(e)): normal class c; test = its 1000 test images + 1000 drawn from the other classes 5..9.
 * `types` names each test image's origin: 'good' for the normal class, else the Fashion-MNIST class it was drawn from.
 */
export function fmnistOneClass(c: number, seed: number): { train: Dataset; test: Dataset; types: string[] } {
  const tr = loadFashionMnist({ split: 'train' });
  const te = loadFashionMnist({ split: 'test' });
  try {
    const ytr = tr.labelArray(), yte = te.labelArray();
    const normal = [...ytr.keys()].filter((i) => ytr[i] === c);
    const good = [...yte.keys()].filter((i) => yte[i] === c);
    const others = [...yte.keys()].filter((i) => yte[i]! >= 5 && yte[i] !== c);
    const bad = Rng.derive(seed, 'anomaly-fmnist', c).permutation(others.length).slice(0, good.length).map((k) => others[k]!);
    const idx = [...good, ...bad];
    const relabel = { labels: idx.map((_, k) => (k < good.length ? 0 : 1)), classes: ['good', 'anomalous'] };
    const types = idx.map((i, k) => (k < good.length ? 'good' : te.classes[yte[i]!]!));
    return { train: tr.subset(normal, { labels: normal.map(() => 0), classes: relabel.classes }), test: te.subset(idx, relabel), types };
  } finally { tr.dispose(); te.dispose(); }
}
