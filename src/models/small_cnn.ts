/**
 * @module SmallCnn: conv(c1, 3x3)-relu-maxpool2 - conv(c2, 3x3)-relu-maxpool2 - flatten - fc, the
 * benchmark's small model (16/32 channels, 1x28x28 -> 32*7*7 -> 10 by default). Names: conv1, relu1,
 * pool1, conv2, relu2, pool2, fc. Taps: block1, block2 (after each max-pool), pool (the flattened
 * features fed to the head, [N, c2 * (H/4) * (W/4)]; globally averaged to [N, c2] with globalPool), logits.
 */
import type { Tensor } from '../core/torch.js';
import { Conv2d, MaxPool2d, AdaptiveAvgPool2d } from '../core/nn/layers/conv.js';
import { ReLU } from '../core/nn/layers/activation.js';
import { Linear } from '../core/nn/layers/linear.js';
import { FeatureModel, type Stage } from './base.js';

/** Full description of a SmallCnn (filled by the registry from the validated config). */
export interface SmallCnnSpec {
  inChannels: number;
  numClasses: number;
  /** Output channels of the two convs. */
  channels: [number, number];
  /** Input height and width (fixes the flattened feature size unless globalPool). */
  inputSize: [number, number];
  /** Average the last feature map to [N, c2] instead of flattening it. */
  globalPool: boolean;
}

/** Two conv-relu-pool blocks and a linear head (PyTorch's default layer init). */
export class SmallCnn extends FeatureModel {
  readonly conv1: Conv2d; readonly relu1: ReLU; readonly pool1: MaxPool2d;
  readonly conv2: Conv2d; readonly relu2: ReLU; readonly pool2: MaxPool2d;
  readonly avgpool: AdaptiveAvgPool2d | null;
  readonly featureDim: number;
  readonly spec: Readonly<SmallCnnSpec>;
  #stages: Stage[];

  constructor(spec: SmallCnnSpec) {
    super();
    this.spec = spec;
    const [c1, c2] = spec.channels;
    this.conv1 = this.registerModule('conv1', new Conv2d(spec.inChannels, c1, 3, { padding: 1 }));
    this.relu1 = this.registerModule('relu1', new ReLU());
    this.pool1 = this.registerModule('pool1', new MaxPool2d(2));
    this.conv2 = this.registerModule('conv2', new Conv2d(c1, c2, 3, { padding: 1 }));
    this.relu2 = this.registerModule('relu2', new ReLU());
    this.pool2 = this.registerModule('pool2', new MaxPool2d(2));
    this.avgpool = spec.globalPool ? this.registerModule('avgpool', new AdaptiveAvgPool2d([1, 1])) : null;
    const [h, w] = spec.inputSize;
    this.featureDim = spec.globalPool ? c2 : c2 * Math.floor(Math.floor(h / 2) / 2) * Math.floor(Math.floor(w / 2) / 2);
    this.setHead(new Linear(this.featureDim, spec.numClasses));
    this.#stages = [
      { name: 'block1', modules: ['conv1', 'relu1', 'pool1'], run: (x) => this.block1(x) },
      { name: 'block2', modules: ['conv2', 'relu2', 'pool2'], run: (x) => this.pool2.call(this.relu2.call(this.conv2.call(x))) },
      { name: 'pool', modules: ['avgpool'], run: (x) => (this.avgpool ? this.avgpool.call(x) : x).flatten(1) },
      { name: 'logits', modules: [this.headName], run: (x) => this.runHead(x) },
    ];
  }
  protected stages(): Stage[] { return this.#stages; }
  private block1(x: Tensor): Tensor {
    const [h, w] = this.spec.inputSize;
    if (x.ndim !== 4 || x.size(1) !== this.spec.inChannels || (!this.spec.globalPool && (x.size(2) !== h || x.size(3) !== w))) {
      this.shapeError(x, `(N, ${this.spec.inChannels}, ${this.spec.globalPool ? 'H, W' : `${h}, ${w}`})`);
    }
    return this.pool1.call(this.relu1.call(this.conv1.call(x)));
  }
  override extraRepr(): string {
    const s = this.spec;
    return `in_channels=${s.inChannels}, channels=[${s.channels}], input_size=[${s.inputSize}], global_pool=${s.globalPool}`;
  }
}
