/**
 * @module Benchmark models built from the nn library, as users build them and
 * layer for layer like bench/torch_bench.py: a small CNN
 * (conv16-pool-conv32-pool-fc10) and a CIFAR-style ResNet-18 (3x3 stem, no
 * max-pool). PyTorch's default init (kaiming-uniform, a = sqrt 5) comes with
 * the layers.
 */
import { nn, torch, type Tensor } from '../src/index.js';

/** ResNet basic block: conv-bn-relu-conv-bn + (1x1 conv-bn) shortcut, relu. */
export class Block extends nn.Module {
  readonly c1: nn.Conv2d; readonly b1: nn.BatchNorm2d;
  readonly c2: nn.Conv2d; readonly b2: nn.BatchNorm2d;
  readonly sc: nn.Sequential | null;
  constructor(cin: number, cout: number, stride: number) {
    super();
    this.c1 = this.registerModule('c1', new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }));
    this.b1 = this.registerModule('b1', new nn.BatchNorm2d(cout));
    this.c2 = this.registerModule('c2', new nn.Conv2d(cout, cout, 3, { stride: 1, padding: 1, bias: false }));
    this.b2 = this.registerModule('b2', new nn.BatchNorm2d(cout));
    this.sc = this.registerModule('sc', stride !== 1 || cin !== cout
      ? new nn.Sequential(new nn.Conv2d(cin, cout, 1, { stride, bias: false }), new nn.BatchNorm2d(cout))
      : null);
  }
  forward(x: Tensor): Tensor {
    const y = this.b2.call(this.c2.call(torch.relu(this.b1.call(this.c1.call(x)))));
    return torch.relu(torch.add(y, this.sc ? this.sc.call(x) : x));
  }
}

/** CIFAR-style ResNet-18; `width` is the first stage's channels, doubling per stage. */
export class ResNet18 extends nn.Module {
  readonly stem: nn.Sequential;
  readonly layers: nn.Sequential;
  readonly fc: nn.Linear;
  constructor(cin = 1, classes = 10, width = 64) {
    super();
    this.stem = this.registerModule('stem', new nn.Sequential(
      new nn.Conv2d(cin, width, 3, { stride: 1, padding: 1, bias: false }), new nn.BatchNorm2d(width), new nn.ReLU()));
    const blocks: Block[] = [];
    let c = width;
    [width, 2 * width, 4 * width, 8 * width].forEach((w, i) => {
      blocks.push(new Block(c, w, i === 0 ? 1 : 2), new Block(w, w, 1));
      c = w;
    });
    this.layers = this.registerModule('layers', new nn.Sequential(...blocks));
    this.fc = this.registerModule('fc', new nn.Linear(c, classes));
  }
  forward(x: Tensor): Tensor {
    const y = this.layers.call(this.stem.call(x));
    return this.fc.call(torch.flatten(torch.adaptiveAvgPool2d(y, [1, 1]), 1));
  }
}

/** conv16-relu-pool-conv32-relu-pool-flatten-fc10 (the tfjs comparison model). */
export function smallCnn(): nn.Sequential {
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Flatten(), new nn.Linear(32 * 7 * 7, 10));
}

/** What the benchmark uses of a model: nn.Module's call/parameters/train. */
export type Model = nn.Module<[Tensor], Tensor>;

/** Model names accepted by --models. */
export const MODEL_NAMES = ['small', 'resnet18-w16', 'resnet18-w64'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Builds a benchmark model by name. */
export function buildModel(name: ModelName): Model {
  switch (name) {
    case 'small': return smallCnn();
    case 'resnet18-w16': return new ResNet18(1, 10, 16);
    case 'resnet18-w64': return new ResNet18(1, 10, 64);
  }
}
