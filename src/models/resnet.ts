/**
 * @module ResNets with torchvision's module names, parameter/buffer order and initialisation.
 *
 * ImageNet style (torchvision.models.resnet18/34/50): conv1 7x7/2 - bn1 - relu - maxpool 3x3/2 -
 * layer1..layer4 - avgpool - fc; `resnet50` weights exported from torchvision load unchanged with
 * loadStateDict. Modules are constructed in torchvision's order (a block's downsample before the
 * block), so after the same torch.manualSeed the initial weights equal torchvision's.
 * CIFAR style: conv1 3x3/1 - bn1 - relu (no max-pool), then 4 stages (depth 18/34, widths w, 2w, 4w, 8w)
 * or 3 stages (depth 20/32/56 = 6n + 2, widths w, 2w, 4w; He et al. 2016 with 1x1-conv projection
 * shortcuts, option B, instead of zero padding). Same names as torchvision.
 * Taps: stem (after relu/max-pool), layer1..layerK, pool ([N, featureDim], avg-pooled), logits; and any
 * submodule path ('layer2.1', 'layer3.0.conv2').
 */
import * as torch from '../core/torch.js';
import type { Tensor } from '../core/torch.js';
import { Module } from '../core/nn/module.js';
import { Conv2d, MaxPool2d, AdaptiveAvgPool2d } from '../core/nn/layers/conv.js';
import { BatchNorm2d } from '../core/nn/layers/norm.js';
import { ReLU } from '../core/nn/layers/activation.js';
import { Linear } from '../core/nn/layers/linear.js';
import { Sequential } from '../core/nn/layers/container.js';
import * as init from '../core/nn/init.js';
import { FeatureModel, type Stage } from './base.js';

const conv3x3 = (cin: number, cout: number, stride = 1): Conv2d => new Conv2d(cin, cout, 3, { stride, padding: 1, bias: false });
const conv1x1 = (cin: number, cout: number, stride = 1): Conv2d => new Conv2d(cin, cout, 1, { stride, bias: false });

/** A residual block: maps x to relu(f(x) + shortcut(x)); `lastBn` is the BN zeroed by zeroInitResidual. */
export interface ResidualBlock extends Module {
  readonly lastBn: BatchNorm2d;
}

/** torchvision's BasicBlock (expansion 1): conv3x3(stride)-bn-relu-conv3x3-bn + shortcut, relu. */
export class BasicBlock extends Module implements ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d; readonly relu: ReLU;
  readonly conv2: Conv2d; readonly bn2: BatchNorm2d; readonly downsample: Sequential | null;
  /** downsample is built by the caller first (torchvision's construction order). */
  constructor(inplanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inplanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = this.registerModule('downsample', downsample);
  }
  get lastBn(): BatchNorm2d { return this.bn2; }
  forward(x: Tensor): Tensor {
    const out = this.bn2.call(this.conv2.call(this.relu.call(this.bn1.call(this.conv1.call(x)))));
    return this.relu.call(torch.add(out, this.downsample ? this.downsample.call(x) : x));
  }
}

/** torchvision's Bottleneck (expansion 4, stride on the 3x3 conv, "ResNet V1.5"): 1x1-3x3-1x1 + shortcut. */
export class Bottleneck extends Module implements ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d; readonly conv2: Conv2d; readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d; readonly bn3: BatchNorm2d; readonly relu: ReLU; readonly downsample: Sequential | null;
  /** downsample is built by the caller first (torchvision's construction order). */
  constructor(inplanes: number, planes: number, stride = 1, downsample: Sequential | null = null) {
    super();
    const width = planes;
    this.conv1 = this.registerModule('conv1', conv1x1(inplanes, width));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(width));
    this.conv2 = this.registerModule('conv2', conv3x3(width, width, stride));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(width));
    this.conv3 = this.registerModule('conv3', conv1x1(width, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion));
    this.relu = this.registerModule('relu', new ReLU());
    this.downsample = this.registerModule('downsample', downsample);
  }
  get lastBn(): BatchNorm2d { return this.bn3; }
  forward(x: Tensor): Tensor {
    let out = this.relu.call(this.bn1.call(this.conv1.call(x)));
    out = this.relu.call(this.bn2.call(this.conv2.call(out)));
    out = this.bn3.call(this.conv3.call(out));
    return this.relu.call(torch.add(out, this.downsample ? this.downsample.call(x) : x));
  }
}

/** Block kinds: 'basic' (BasicBlock) or 'bottleneck' (Bottleneck). */
export type BlockKind = 'basic' | 'bottleneck';

/** Full architecture description of a ResNet (the registry fills it from the validated configs). */
export interface ResNetSpec {
  block: BlockKind;
  /** Blocks per stage; its length is the number of stages (3 or 4). */
  layers: number[];
  /** 'imagenet': 7x7/2 stem + max-pool; 'cifar': 3x3/1 stem, no max-pool. */
  stem: 'imagenet' | 'cifar';
  /** Channels of the stem and of the first stage (64 in torchvision); doubled per stage. */
  width: number;
  inChannels: number;
  numClasses: number;
  /** Zero the last BN weight of every block (torchvision's zero_init_residual). */
  zeroInitResidual: boolean;
}

/** A ResNet (torchvision names: conv1, bn1, relu, maxpool, layer1..K, avgpool, fc). */
export class ResNet extends FeatureModel {
  readonly conv1: Conv2d; readonly bn1: BatchNorm2d; readonly relu: ReLU; readonly maxpool: MaxPool2d | null;
  readonly layers: Sequential[];
  readonly avgpool: AdaptiveAvgPool2d;
  readonly featureDim: number;
  readonly spec: Readonly<ResNetSpec>;
  #stages: Stage[];

  constructor(spec: ResNetSpec) {
    super();
    this.spec = { ...spec, layers: [...spec.layers] };
    const Block = spec.block === 'basic' ? BasicBlock : Bottleneck;
    const imagenet = spec.stem === 'imagenet';
    let inplanes = spec.width;
    this.conv1 = this.registerModule('conv1', imagenet
      ? new Conv2d(spec.inChannels, inplanes, 7, { stride: 2, padding: 3, bias: false })
      : conv3x3(spec.inChannels, inplanes));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(inplanes));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = imagenet ? this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 })) : null;
    this.layers = spec.layers.map((n, i) => {
      const planes = spec.width * 2 ** i;
      const stride = i === 0 ? 1 : 2;
      const blocks: Module[] = [];
      for (let b = 0; b < n; b++) {
        const s = b === 0 ? stride : 1;
        const ds = s !== 1 || inplanes !== planes * Block.expansion
          ? new Sequential(conv1x1(inplanes, planes * Block.expansion, s), new BatchNorm2d(planes * Block.expansion))
          : null;
        blocks.push(new Block(inplanes, planes, s, ds));
        inplanes = planes * Block.expansion;
      }
      return this.registerModule(`layer${i + 1}`, new Sequential(...blocks));
    });
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d([1, 1]));
    this.featureDim = inplanes;
    this.setHead(new Linear(inplanes, spec.numClasses));
    this.resetBackbone();
    this.#stages = [
      { name: 'stem', modules: ['conv1', 'bn1', 'relu', 'maxpool'], run: (x) => this.stem(x) },
      ...this.layers.map((l, i): Stage => ({ name: `layer${i + 1}`, modules: [`layer${i + 1}`], run: (x) => l.call(x) })),
      { name: 'pool', modules: ['avgpool'], run: (x) => this.avgpool.call(x).flatten(1) },
      { name: 'logits', modules: [this.headName], run: (x) => this.runHead(x) },
    ];
  }

  /** torchvision's init: kaiming_normal_(fan_out, relu) for convs, BN weight 1 / bias 0, optional zero-init residual. */
  resetBackbone(): void {
    for (const m of this.modules()) {
      if (m instanceof Conv2d) init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof BatchNorm2d) { init.ones_(m.weight!); init.zeros_(m.bias!); }
    }
    if (this.spec.zeroInitResidual) {
      for (const l of this.layers) for (const b of l.children()) init.zeros_((b as unknown as ResidualBlock).lastBn.weight!);
    }
  }
  protected stages(): Stage[] { return this.#stages; }
  /** conv1-bn1-relu(-maxpool). */
  private stem(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.size(1) !== this.spec.inChannels) this.shapeError(x, `(N, ${this.spec.inChannels}, H, W)`);
    const y = this.relu.call(this.bn1.call(this.conv1.call(x)));
    return this.maxpool ? this.maxpool.call(y) : y;
  }
  override extraRepr(): string {
    const s = this.spec;
    return `block=${s.block}, layers=[${s.layers}], stem=${s.stem}, width=${s.width}, in_channels=${s.inChannels}`;
  }
}
