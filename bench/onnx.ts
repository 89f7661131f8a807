/**
 * @module ONNX forms of the benchmark models (bench/models.ts), so that ONNX Runtime runs the very network adaptune
 * and PyTorch time: the exporters mirror Block.forward and ResNet18.forward (the small CNN is an nn.Sequential,
 * exported as is). Registered on import.
 */
import { torch } from '../src/index.js';
import { registerOnnxExporter, convBn, type ExportContext, type Value } from '../src/export/index.js';
import { Block, ResNet18 } from './models.js';

const relu = (ctx: ExportContext, x: Value, hint: string): Value => ctx.op('Relu', [x], torch.relu(x.sample), {}, hint);

registerOnnxExporter(Block, (m, x, ctx) => {
  const y = convBn(ctx, m.c2, m.b2, relu(ctx, convBn(ctx, m.c1, m.b1, x), `${ctx.pathOf(m)}.relu1`));
  return relu(ctx, ctx.add(y, m.sc ? ctx.module(m.sc, x) : x, ctx.pathOf(m)), `${ctx.pathOf(m)}.relu2`);
});

registerOnnxExporter(ResNet18, (m, x, ctx) => {
  const y = ctx.module(m.layers, ctx.module(m.stem, x));
  const pooled = ctx.op('GlobalAveragePool', [y], torch.adaptiveAvgPool2d(y.sample, [1, 1]), {}, 'pool');
  return ctx.module(m.fc, ctx.flatten(pooled, 'flatten'));
});
