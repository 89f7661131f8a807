/**
 * @module ONNX exporters of src/core's layers (eval mode): Conv2d, BatchNorm1d/2d (or folded into the conv
 * before it), Linear (Gemm, or MatMul + Add above 2-D), the activations, pooling, Flatten, LayerNorm,
 * Softmax/LogSoftmax, Identity/Dropout and Sequential. Each leaf's sample is the module's own output.
 * What has no exact ONNX form here (ceil-mode pooling, divisor override, non-uniform adaptive pooling,
 * BatchNorm without running stats) fails with UnsupportedModuleError naming the module.
 */
import type { Tensor } from '../core/torch.js';
import { Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d } from '../core/nn/layers/conv.js';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '../core/nn/layers/norm.js';
import { ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, Softplus, Softmax, LogSoftmax } from '../core/nn/layers/activation.js';
import { Linear, Identity, Flatten, Dropout } from '../core/nn/layers/linear.js';
import { Sequential } from '../core/nn/layers/container.js';
import type { AnyModule } from '../core/nn/module.js';
import type { ExportContext, Value } from './context.js';
import { float, type AttrValue } from './graph.js';
import { registerOnnxExporter } from './registry.js';

type Pair = [number, number];
/** A PyTorch int-or-pair argument; absent, null or [] (PyTorch's "stride = kernel") gives `def`. */
const pair = (v: number | number[] | null | undefined, def: Pair): Pair =>
  (v === undefined || v === null || (Array.isArray(v) && !v.length) ? def : Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v, v]);

/** ONNX pads [top, left, bottom, right] of a conv (PyTorch 'same' puts the odd pixel at the end). */
function convPads(c: Conv2d): number[] {
  if (c.padding === 'valid') return [0, 0, 0, 0];
  if (c.padding === 'same') {
    const total = c.kernelSize.map((k, i) => c.dilation[i]! * (k - 1));
    const lo = total.map((t) => Math.floor(t / 2));
    return [lo[0]!, lo[1]!, total[0]! - lo[0]!, total[1]! - lo[1]!];
  }
  return [...c.padding, ...c.padding];
}

/** Emits a Conv node of `c`'s geometry with the given weight/bias initialisers. */
function convNode(ctx: ExportContext, c: Conv2d, x: Value, w: string, b: string | null, sample: Tensor, hint: string): Value {
  if (x.sample.ndim !== 4) ctx.fail(c, `expects a 4-D (N, C, H, W) input, got [${x.sample.shape.join(', ')}]`);
  return ctx.op('Conv', b ? [x, w, b] : [x, w], sample, {
    kernel_shape: [...c.kernelSize], strides: [...c.stride], dilations: [...c.dilation], pads: convPads(c), group: c.groups,
  }, hint);
}

/** Throws unless bn has running statistics (without them eval mode still normalises with batch statistics). */
function requireRunningStats(ctx: ExportContext, bn: BatchNorm1d | BatchNorm2d): asserts bn is (BatchNorm1d | BatchNorm2d) & { runningMean: Tensor; runningVar: Tensor } {
  if (!bn.runningMean || !bn.runningVar) ctx.fail(bn, 'BatchNorm without running statistics normalises with batch statistics even in eval mode; it has no per-example inference form');
}

/** Running statistics and affine parameters of an eval-mode BatchNorm as float64 arrays. */
function bnStats(ctx: ExportContext, bn: BatchNorm1d | BatchNorm2d): { scale: Float64Array; shift: Float64Array } {
  requireRunningStats(ctx, bn);
  const f64 = (t: Tensor): Float64Array => t.detach().to('float64').contiguous().data() as Float64Array;
  const mean = f64(bn.runningMean);
  const v = f64(bn.runningVar);
  const g = bn.weight ? f64(bn.weight) : new Float64Array(mean.length).fill(1);
  const b = bn.bias ? f64(bn.bias) : new Float64Array(mean.length);
  const scale = g.map((gi, i) => gi / Math.sqrt(v[i]! + bn.eps));
  return { scale, shift: b.map((bi, i) => bi - mean[i]! * scale[i]!) };
}

/**
 * conv followed by an eval-mode BatchNorm2d: one Conv with W' = W * s and b' = (b - mean) * s + beta,
 * s = gamma / sqrt(var + eps) (computed in float64) when ctx.options.foldBn; else Conv then BatchNormalization.
 * Modules that replaced the pair at run time (e.g. a gated conv and an Identity) are exported one by one.
 */
export function convBn(ctx: ExportContext, conv: Conv2d, bn: BatchNorm2d, x: Value): Value {
  // only an exact Conv2d + BatchNorm2d pair folds; a module a method put in their place goes through its own exporter
  const exact = conv.constructor === Conv2d && bn.constructor === BatchNorm2d;
  if (!ctx.options.foldBn || !exact) return ctx.module(bn, ctx.module(conv, x));
  const sample = bn.forward(conv.forward(x.sample));
  const { scale, shift } = bnStats(ctx, bn);
  const w = conv.weight.detach().to('float64').contiguous().data() as Float64Array;
  const per = w.length / scale.length;
  const wf = Float32Array.from(w, (wi, i) => wi * scale[Math.floor(i / per)]!);
  const b0 = conv.bias ? conv.bias.detach().to('float64').contiguous().data() as Float64Array : new Float64Array(scale.length);
  const bf = Float32Array.from(shift, (s, i) => s + b0[i]! * scale[i]!);
  const hint = `${ctx.pathOf(conv)}+${ctx.pathOf(bn).split('.').pop()}`;
  return convNode(ctx, conv, x, ctx.graph.addFloats(`${hint}.weight`, wf, conv.weight.shape), ctx.graph.addFloats(`${hint}.bias`, bf, [scale.length]), sample, hint);
}

registerOnnxExporter(Conv2d, (m, x, ctx) =>
  convNode(ctx, m, x, ctx.param(m, 'weight', m.weight), m.bias ? ctx.param(m, 'bias', m.bias) : null, m.forward(x.sample), ctx.pathOf(m)));

const batchNorm = (m: BatchNorm1d | BatchNorm2d, x: Value, ctx: ExportContext): Value => {
  requireRunningStats(ctx, m);
  const n = m.numFeatures;
  const ins = [
    m.weight ? ctx.param(m, 'weight', m.weight) : ctx.constant(`${ctx.pathOf(m)}.weight`, new Array(n).fill(1)),
    m.bias ? ctx.param(m, 'bias', m.bias) : ctx.constant(`${ctx.pathOf(m)}.bias`, new Array(n).fill(0)),
    ctx.param(m, 'running_mean', m.runningMean), ctx.param(m, 'running_var', m.runningVar),
  ];
  return ctx.op('BatchNormalization', [x, ...ins], m.forward(x.sample), { epsilon: float(m.eps) }, ctx.pathOf(m));
};
registerOnnxExporter(BatchNorm2d, batchNorm);
registerOnnxExporter(BatchNorm1d, batchNorm);

registerOnnxExporter(Linear, (m, x, ctx) => {
  const p = ctx.pathOf(m);
  const y = m.forward(x.sample);
  if (x.sample.ndim === 2) {
    const ins = [x.name, ctx.param(m, 'weight', m.weight), ...(m.bias ? [ctx.param(m, 'bias', m.bias)] : [])];
    return ctx.op('Gemm', ins, y, { transB: 1 }, p);
  }
  const wt = m.weight.detach().t().contiguous();
  const mm = ctx.graph.addNode('MatMul', [x.name, ctx.graph.addTensor(`${p}.weight_t`, wt)], {}, p)[0]!;
  wt.dispose();
  return m.bias ? ctx.op('Add', [mm, ctx.param(m, 'bias', m.bias)], y, {}, p) : { name: mm, sample: y };
});

/** A module whose ONNX form is one node with fixed attributes. */
function simple<M extends AnyModule>(cls: abstract new (...a: never[]) => M, opType: string, attrs: (m: M, x: Value) => Record<string, AttrValue> = () => ({})): void {
  registerOnnxExporter(cls, (m, x, ctx) => ctx.op(opType, [x], m.forward(x.sample), attrs(m, x), ctx.pathOf(m)));
}
const axisOf = (dim: number, x: Value): number => (dim < 0 ? dim + x.sample.ndim : dim);
simple(ReLU, 'Relu');
simple(Sigmoid, 'Sigmoid');
simple(Tanh, 'Tanh');
simple(LeakyReLU, 'LeakyRelu', (m) => ({ alpha: float(m.negativeSlope) }));
simple(Softmax, 'Softmax', (m, x) => ({ axis: axisOf(m.dim, x) }));
simple(LogSoftmax, 'LogSoftmax', (m, x) => ({ axis: axisOf(m.dim, x) }));

registerOnnxExporter(SiLU, (m, x, ctx) => {
  const s = ctx.graph.addNode('Sigmoid', [x.name], {}, ctx.pathOf(m))[0]!;
  return ctx.op('Mul', [x.name, s], m.forward(x.sample), {}, ctx.pathOf(m));
});

// ONNX Softplus has no threshold: where beta x > threshold PyTorch returns x, off by log1p(exp(-t)) < 3.1e-7 for t >= 15
registerOnnxExporter(Softplus, (m, x, ctx) => {
  const p = ctx.pathOf(m);
  if (m.threshold < 15) ctx.fail(m, `threshold ${m.threshold} < 15: ONNX Softplus has no threshold, and below 15 the linear branch differs by more than 3e-7`);
  if (m.beta === 1) return ctx.op('Softplus', [x], m.forward(x.sample), {}, p);
  const beta = ctx.constant(`${p}.beta`, [m.beta], []);
  const bx = ctx.graph.addNode('Mul', [x.name, beta], {}, p)[0]!;
  const sp = ctx.graph.addNode('Softplus', [bx], {}, p)[0]!;
  return ctx.op('Div', [sp, beta], m.forward(x.sample), {}, p);
});

// opset 17 has no Gelu: 0.5 x (1 + erf(x / sqrt 2)), or the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
registerOnnxExporter(GELU, (m, x, ctx) => {
  const p = ctx.pathOf(m);
  const g = ctx.graph;
  const c = (name: string, v: number): string => ctx.constant(`${p}.${name}`, [v], []);
  const node = (op: string, ins: string[]): string => g.addNode(op, ins, {}, p)[0]!;
  let inner: string;
  if (m.approximate === 'tanh') {
    const x3 = node('Mul', [node('Mul', [x.name, x.name]), x.name]);
    const arg = node('Mul', [node('Add', [x.name, node('Mul', [x3, c('k', 0.044715)])]), c('sqrt_2_over_pi', Math.sqrt(2 / Math.PI))]);
    inner = node('Tanh', [arg]);
  } else {
    inner = node('Erf', [node('Div', [x.name, c('sqrt2', Math.SQRT2)])]);
  }
  const half = node('Mul', [x.name, c('half', 0.5)]);
  return ctx.op('Mul', [half, node('Add', [inner, c('one', 1)])], m.forward(x.sample), {}, p);
});

registerOnnxExporter(MaxPool2d, (m, x, ctx) => {
  const o = m.o;
  if (o.ceilMode) ctx.fail(m, 'ceilMode pooling is not exported (its window rule differs between PyTorch and ONNX at the border)');
  const k = pair(m.kernelSize, [1, 1]);
  const pad = pair(o.padding, [0, 0]);
  return ctx.op('MaxPool', [x], m.forward(x.sample), {
    kernel_shape: k, strides: pair(o.stride, k), pads: [...pad, ...pad], dilations: pair(o.dilation, [1, 1]),
  }, ctx.pathOf(m));
});

registerOnnxExporter(AvgPool2d, (m, x, ctx) => {
  const o = m.o;
  if (o.ceilMode) ctx.fail(m, 'ceilMode pooling is not exported (its window rule differs between PyTorch and ONNX at the border)');
  if (o.divisorOverride !== undefined && o.divisorOverride !== null) ctx.fail(m, 'divisorOverride has no ONNX AveragePool form');
  const k = pair(m.kernelSize, [1, 1]);
  const pad = pair(o.padding, [0, 0]);
  return ctx.op('AveragePool', [x], m.forward(x.sample), {
    kernel_shape: k, strides: pair(o.stride, k), pads: [...pad, ...pad], count_include_pad: o.countIncludePad === false ? 0 : 1,
  }, ctx.pathOf(m));
});

// output 1x1: GlobalAveragePool; otherwise uniform windows (input size divisible by output size): AveragePool
registerOnnxExporter(AdaptiveAvgPool2d, (m, x, ctx) => {
  const y = m.forward(x.sample);
  const p = ctx.pathOf(m);
  const [h, w] = x.sample.shape.slice(-2) as Pair;
  const [oh, ow] = y.shape.slice(-2) as Pair;
  if (x.sample.ndim !== 4) ctx.fail(m, `expects a 4-D (N, C, H, W) input, got [${x.sample.shape.join(', ')}]`);
  if (oh === 1 && ow === 1) return ctx.op('GlobalAveragePool', [x], y, {}, p);
  if (h % oh !== 0 || w % ow !== 0) ctx.fail(m, `adaptive pooling from ${h}x${w} to ${oh}x${ow} has windows of different sizes (no single ONNX AveragePool); use an input size divisible by the output size`);
  const k = [h / oh, w / ow];
  return ctx.op('AveragePool', [x], y, { kernel_shape: k, strides: k }, p);
});

registerOnnxExporter(Flatten, (m, x, ctx) => {
  const nd = x.sample.ndim;
  const start = m.startDim < 0 ? m.startDim + nd : m.startDim;
  const end = m.endDim < 0 ? m.endDim + nd : m.endDim;
  const y = m.forward(x.sample);
  if (start === 1 && end === nd - 1) return ctx.op('Flatten', [x], y, { axis: 1 }, ctx.pathOf(m));
  if (start < 1) ctx.fail(m, `flattening the batch dimension (startDim ${m.startDim}) would fix the batch size`);
  // Reshape: 0 copies the (dynamic) batch dim, the flattened run becomes -1, the rest stays as in the sample
  const shape = [...new Array(start).fill(0), -1, ...x.sample.shape.slice(end + 1)];
  return ctx.op('Reshape', [x.name, ctx.graph.addInt64s(`${ctx.pathOf(m)}.shape`, shape)], y, {}, ctx.pathOf(m));
});

registerOnnxExporter(LayerNorm, (m, x, ctx) => {
  const p = ctx.pathOf(m);
  if (ctx.options.opset < 17) ctx.fail(m, `LayerNormalization needs opset >= 17 (exporting at ${ctx.options.opset})`);
  const n = m.normalizedShape;
  const ones = (v: number): number[] => new Array(n.reduce((a, d) => a * d, 1)).fill(v);
  const ins = [m.weight ? ctx.param(m, 'weight', m.weight) : ctx.constant(`${p}.weight`, ones(1), n),
    m.bias ? ctx.param(m, 'bias', m.bias) : ctx.constant(`${p}.bias`, ones(0), n)];
  return ctx.op('LayerNormalization', [x, ...ins], m.forward(x.sample), { axis: -n.length, epsilon: float(m.eps) }, p);
});

// Identity, and Dropout (the identity in eval mode, which exportOnnx sets)
registerOnnxExporter(Identity, (_m, x) => x);
registerOnnxExporter(Dropout, (_m, x) => x);

// children in order; a Conv2d directly followed by a BatchNorm2d is one convBn (folded when asked)
registerOnnxExporter(Sequential, (m, x, ctx) => {
  const kids = m.children();
  let y = x;
  for (let i = 0; i < kids.length; i++) {
    const a = kids[i]!;
    const b = kids[i + 1];
    if (a.constructor === Conv2d && b?.constructor === BatchNorm2d) { y = convBn(ctx, a as Conv2d, b as BatchNorm2d, y); i++; } else y = ctx.module(a, y);
  }
  return y;
});
