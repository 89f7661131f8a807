/** Indexing, selection and sorting: parity with PyTorch (fixture ops_index). */
import { torch } from '../../src/index.js';
import { runFamily } from './ops-harness.js';

const L = (xs: number[]) => torch.tensor(xs);
runFamily('index', {
  indexSelect: (x) => x.indexSelect(0, L([2, 0])),
  gather: (x) => x.gather(0, torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]])),
  scatter: (x, s) => x.scatter(0, torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]]), s!),
  scatterValue: (x) => x.scatter(0, torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]]), 1.5),
  scatterAdd: (x, s) => x.scatterAdd(0, torch.tensor([[0, 1, 2, 0], [2, 2, 1, 0]]), s!),
  indexAdd: (x, s) => x.indexAdd(1, L([3, 1]), s!, 2),
  indexCopy: (x, s) => x.indexCopy(0, L([2, 0]), s!),
  indexFill: (x) => x.indexFill(1, L([2, 0]), -1.0),
  maskedFill: (x, m) => x.maskedFill(m!, 0.5),
  maskedFillRow: (x, m) => x.maskedFill(m!, -2.0),
  maskedSelect: (x, m) => x.maskedSelect(m!),
  maskedScatter: (x, m, s) => x.maskedScatter(m!, s!),
  nonzero: (m) => m.nonzero(),
  take: (x) => x.take(L([0, 5, 11])),
  index: (x) => x.index([L([0, 2]), L([1, 3])]),
  indexPut: (x, v) => x.indexPut([L([0, 0]), L([1, 1])], v!, true),
  topk: (x) => x.topk(2),
  topkSmall: (x) => x.topk(2, 0, false),
  sort: (x) => x.sort(1),
  sortDesc: (x) => x.sort(0, true),
  argsort: (x) => x.argsort(1, true),
  kthvalue: (x) => x.kthvalue(2, 1),
  unique: (x) => x.unique(true, true, true),
  searchsorted: (s, v) => torch.searchsorted(s, v!),
  searchsortedRight: (s, v) => torch.searchsorted(s, v!, true),
  bincount: (x) => x.bincount(),
  oneHot: (x) => x.oneHot(4),
  bucketize: (x, b) => x.bucketize(b!),
});
