/**
 * @module ONNX exporters of src/models: ResNet (ImageNet and CIFAR stems), its BasicBlock and Bottleneck,
 * and SmallCnn. Each mirrors its class's forward(): conv-BN pairs go through convBn (folded on request),
 * the residual sum is an Add, the pooled features a Flatten, the head whatever the registered head is
 * (Linear -> Gemm, Identity -> nothing).
 */
import { ResNet, BasicBlock, Bottleneck } from '../models/resnet.js';
import { SmallCnn } from '../models/small_cnn.js';
import type { ExportContext, Value } from './context.js';
import { convBn } from './layers.js';
import { registerOnnxExporter } from './registry.js';

registerOnnxExporter(BasicBlock, (m, x, ctx) => {
  const out = convBn(ctx, m.conv2, m.bn2, ctx.module(m.relu, convBn(ctx, m.conv1, m.bn1, x)));
  return ctx.module(m.relu, ctx.add(out, m.downsample ? ctx.module(m.downsample, x) : x, ctx.pathOf(m)));
});

registerOnnxExporter(Bottleneck, (m, x, ctx) => {
  let out = ctx.module(m.relu, convBn(ctx, m.conv1, m.bn1, x));
  out = ctx.module(m.relu, convBn(ctx, m.conv2, m.bn2, out));
  out = convBn(ctx, m.conv3, m.bn3, out);
  return ctx.module(m.relu, ctx.add(out, m.downsample ? ctx.module(m.downsample, x) : x, ctx.pathOf(m)));
});

/** Checks the sample input against the model's expected (N, C, H, W) layout before exporting. */
function checkInput(ctx: ExportContext, m: ResNet | SmallCnn, x: Value): void {
  const s = x.sample.shape;
  if (s.length !== 4 || s[1] !== m.spec.inChannels) ctx.fail(m, `expects a sample input (N, ${m.spec.inChannels}, H, W), got [${s.join(', ')}]`);
}

registerOnnxExporter(ResNet, (m, x, ctx) => {
  checkInput(ctx, m, x);
  let y = ctx.module(m.relu, convBn(ctx, m.conv1, m.bn1, x));
  if (m.maxpool) y = ctx.module(m.maxpool, y);
  for (const l of m.layers) y = ctx.module(l, y);
  return ctx.module(m.getClassifier(), ctx.flatten(ctx.module(m.avgpool, y), 'pool'));
});

registerOnnxExporter(SmallCnn, (m, x, ctx) => {
  checkInput(ctx, m, x);
  let y = ctx.module(m.pool1, ctx.module(m.relu1, ctx.module(m.conv1, x)));
  y = ctx.module(m.pool2, ctx.module(m.relu2, ctx.module(m.conv2, y)));
  if (m.avgpool) y = ctx.module(m.avgpool, y);
  return ctx.module(m.getClassifier(), ctx.flatten(y, 'pool'));
});
