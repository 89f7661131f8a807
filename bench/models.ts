/**
 * @module Benchmark models (small CNN, CIFAR-style ResNet-18) written with the
 * functional ops. When nn.Conv2d / BatchNorm2d / Linear / Sequential land,
 * replace the layer classes below by the nn ones: the Model interface
 * (parameters(), forward(), train/eval) is all that bench/worker.ts uses.
 */
import { torch, type Tensor } from '../src/index.js';

/** What the benchmark needs from a model: nn.Module's surface. */
export interface Model {
  parameters(): Tensor[];
  forward(x: Tensor): Tensor;
  /** Training mode (batch statistics, running-stat updates) vs eval mode. */
  train(mode?: boolean): void;
}

/** A leaf parameter drawn like PyTorch's default init: U(-b, b) with b = 1/sqrt(fanIn) (kaiming-uniform, a=sqrt(5)). */
function uniformParam(shape: number[], fanIn: number): Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  const t = torch.empty(shape);
  torch.noGrad(() => t.uniform_(-bound, bound));
  return t.requiresGrad_(true);
}

abstract class Layer implements Model {
  protected training = true;
  protected children: Layer[] = [];
  protected own: Tensor[] = [];
  parameters(): Tensor[] { return [...this.own, ...this.children.flatMap((c) => c.parameters())]; }
  train(mode = true): void { this.training = mode; for (const c of this.children) c.train(mode); }
  abstract forward(x: Tensor): Tensor;
}

/** nn.Conv2d (square kernel, PyTorch default init). */
export class Conv2d extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(cin: number, cout: number, k: number, private stride = 1, private padding = 0, bias = true) {
    super();
    const fanIn = cin * k * k;
    this.weight = uniformParam([cout, cin, k, k], fanIn);
    this.bias = bias ? uniformParam([cout], fanIn) : null;
    this.own = this.bias ? [this.weight, this.bias] : [this.weight];
  }
  forward(x: Tensor): Tensor { return torch.conv2d(x, this.weight, this.bias, this.stride, this.padding); }
}

/** nn.BatchNorm2d: affine, running stats, momentum 0.1, eps 1e-5, num_batches_tracked. */
export class BatchNorm2d extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked: Tensor;
  constructor(c: number) {
    super();
    this.weight = torch.ones([c]).requiresGrad_(true);
    this.bias = torch.zeros([c]).requiresGrad_(true);
    this.runningMean = torch.zeros([c]);
    this.runningVar = torch.ones([c]);
    this.numBatchesTracked = torch.zeros([], { dtype: 'int64' });
    this.own = [this.weight, this.bias];
  }
  forward(x: Tensor): Tensor {
    if (this.training) torch.noGrad(() => this.numBatchesTracked.add_(1));
    return torch.batchNorm(x, this.weight, this.bias, this.runningMean, this.runningVar, this.training, 0.1, 1e-5);
  }
}

/** nn.Linear. */
export class Linear extends Layer {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(fin: number, fout: number) {
    super();
    this.weight = uniformParam([fout, fin], fin);
    this.bias = uniformParam([fout], fin);
    this.own = [this.weight, this.bias];
  }
  forward(x: Tensor): Tensor { return torch.linear(x, this.weight, this.bias); }
}

/** ResNet basic block: conv-bn-relu-conv-bn + (1x1 conv-bn) shortcut, relu. */
class Block extends Layer {
  private c1: Conv2d; private b1: BatchNorm2d; private c2: Conv2d; private b2: BatchNorm2d;
  private sc: [Conv2d, BatchNorm2d] | null = null;
  constructor(cin: number, cout: number, stride: number) {
    super();
    this.c1 = new Conv2d(cin, cout, 3, stride, 1, false); this.b1 = new BatchNorm2d(cout);
    this.c2 = new Conv2d(cout, cout, 3, 1, 1, false); this.b2 = new BatchNorm2d(cout);
    this.children = [this.c1, this.b1, this.c2, this.b2];
    if (stride !== 1 || cin !== cout) {
      this.sc = [new Conv2d(cin, cout, 1, stride, 0, false), new BatchNorm2d(cout)];
      this.children.push(...this.sc);
    }
  }
  forward(x: Tensor): Tensor {
    const y = this.b2.forward(this.c2.forward(torch.relu(this.b1.forward(this.c1.forward(x)))));
    const s = this.sc ? this.sc[1].forward(this.sc[0].forward(x)) : x;
    return torch.relu(torch.add(y, s));
  }
}

/** CIFAR-style ResNet-18 (3x3 stem, no max-pool); `width` is the first stage's channels, doubling per stage. */
export class ResNet18 extends Layer {
  private stem: [Conv2d, BatchNorm2d];
  private blocks: Block[] = [];
  private fc: Linear;
  constructor(cin = 1, classes = 10, width = 64) {
    super();
    this.stem = [new Conv2d(cin, width, 3, 1, 1, false), new BatchNorm2d(width)];
    let c = width;
    [width, 2 * width, 4 * width, 8 * width].forEach((w, i) => {
      this.blocks.push(new Block(c, w, i === 0 ? 1 : 2), new Block(w, w, 1));
      c = w;
    });
    this.fc = new Linear(c, classes);
    this.children = [...this.stem, ...this.blocks, this.fc];
  }
  forward(x: Tensor): Tensor {
    let y = torch.relu(this.stem[1].forward(this.stem[0].forward(x)));
    for (const b of this.blocks) y = b.forward(y);
    return this.fc.forward(torch.flatten(torch.adaptiveAvgPool2d(y, [1, 1]), 1));
  }
}

/** conv16-relu-pool-conv32-relu-pool-flatten-fc10 (the tfjs comparison model). */
export class SmallCNN extends Layer {
  private c1 = new Conv2d(1, 16, 3, 1, 1);
  private c2 = new Conv2d(16, 32, 3, 1, 1);
  private fc = new Linear(32 * 7 * 7, 10);
  constructor() { super(); this.children = [this.c1, this.c2, this.fc]; }
  forward(x: Tensor): Tensor {
    const y = torch.maxPool2d(torch.relu(this.c1.forward(x)), 2);
    const z = torch.maxPool2d(torch.relu(this.c2.forward(y)), 2);
    return this.fc.forward(torch.flatten(z, 1));
  }
}

/** Model names accepted by --models. */
export const MODEL_NAMES = ['small', 'resnet18-w16', 'resnet18-w64'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

/** Builds a benchmark model by name. */
export function buildModel(name: ModelName): Model {
  switch (name) {
    case 'small': return new SmallCNN();
    case 'resnet18-w16': return new ResNet18(1, 10, 16);
    case 'resnet18-w64': return new ResNet18(1, 10, 64);
  }
}
