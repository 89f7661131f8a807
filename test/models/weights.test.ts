// Loading torchvision-style weights into registry models (src/models/weights): parity of eval logits with
// torchvision's own forward (test/fixtures/gen_pth.py, narrow resnet18/resnet50 with torchvision's classes),
// from .pth (zip, legacy, DataParallel-wrapped, fp16), plain safetensors and Hugging Face ResNet names; the
// architecture inferred from keys and shapes (ResNets, CIFAR ResNets, small_cnn); missing/unexpected keys and
// shape mismatches named with the file; the head replaced; convertWeights writes safetensors + a sidecar that
// the sidecar loader reads back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { torch, io, models, CheckpointError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { loadPretrained as loadBackbone } from '../../src/models/index.js';
import { FIXTURES, assertClose } from '../helpers.js';

const fx = (n: string): string => join(FIXTURES, n);
const expected = io.loadSafetensors(fx('pth_expected.safetensors')).tensors;
const x = expected.get('x')!;

/** Max |a - b| of the model's eval logits on the fixture input against torchvision's. */
function parity(m: models.FeatureModel, key: string, atol = 1e-5): number {
  m.eval();
  return torch.tidy(() => {
    const y = torch.noGrad(() => m.call(x));
    assertClose(y, expected.get(key)!, { atol, rtol: 1e-4, what: key });
    return Number(y.sub(expected.get(key)!).abs().max().item());
  });
}

test('resnet18 .pth (zip): architecture inferred, eval logits equal torchvision within 1e-5', () => {
  const w = models.loadWeights(fx('pth_resnet18w4.pth'));
  assert.equal(w.name, 'resnet18');
  assert.deepEqual(w.config, { inChannels: 3, width: 4, numClasses: 10 });
  assert.equal(w.source.architecture, 'inferred');
  assert.equal(w.source.format, 'pth-zip');
  assert.deepEqual([w.report.missing, w.report.unexpected, w.report.mismatched], [[], [], []]);
  assert.deepEqual(w.normalization, { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  const d = parity(w.model, 'resnet18w4');
  console.log(`# resnet18w4 parity: max |adaptune - torchvision| = ${d.toExponential(2)}`);
  w.model.dispose();
});

test('resnet50 (bottleneck) .pth: inferred and at parity', () => {
  const w = models.loadWeights(fx('pth_resnet50w4.pth'));
  assert.equal(w.name, 'resnet50');
  assert.deepEqual(w.config, { inChannels: 3, width: 4, numClasses: 7 });
  const d = parity(w.model, 'resnet50w4');
  console.log(`# resnet50w4 parity: max |adaptune - torchvision| = ${d.toExponential(2)}`);
  w.model.dispose();
});

test('legacy format, DataParallel-wrapped checkpoint and plain safetensors load to the same logits', () => {
  for (const [f, format, wrapper, prefix] of [['pth_resnet18w4_legacy.pth', 'pth-legacy', null, ''], ['pth_resnet18w4_ddp.pth', 'pth-zip', 'state_dict', 'module.'],
    ['pth_resnet18w4.safetensors', 'safetensors', null, '']] as const) {
    const w = models.loadWeights(fx(f), { model: 'resnet18' });
    assert.equal(w.source.format, format, f);
    assert.equal(w.source.wrapper, wrapper, f);
    assert.equal(w.source.prefix, prefix, f);
    assert.equal(w.source.architecture, 'given');
    parity(w.model, 'resnet18w4');
    w.model.dispose();
  }
});

test('fp16/bf16 weights load into the float32 model (logits within fp16 rounding of torchvision)', () => {
  const w = models.loadWeights(fx('pth_resnet18w4_fp16.pth'));
  assert.equal(w.model.getClassifier().parameters()[0]!.dtype, 'float32');
  parity(w.model, 'resnet18w4', 3e-2);
  w.model.dispose();
});

test('Hugging Face ResNet key names (resnet.embedder..., encoder.stages..., classifier.1) map to torchvision', () => {
  const sd = models.readStateDict(fx('pth_resnet18w4.pth'));
  const hf = new Map<string, Tensor>();
  for (const [k, t] of sd.tensors) {
    const n = k.replace(/^conv1\.weight$/, 'resnet.embedder.embedder.convolution.weight').replace(/^bn1\./, 'resnet.embedder.embedder.normalization.')
      .replace(/^layer(\d)\.(\d)\.downsample\.0\./, (_, s, b) => `resnet.encoder.stages.${s - 1}.layers.${b}.shortcut.convolution.`)
      .replace(/^layer(\d)\.(\d)\.downsample\.1\./, (_, s, b) => `resnet.encoder.stages.${s - 1}.layers.${b}.shortcut.normalization.`)
      .replace(/^layer(\d)\.(\d)\.conv(\d)\./, (_, s, b, i) => `resnet.encoder.stages.${s - 1}.layers.${b}.layer.${i - 1}.convolution.`)
      .replace(/^layer(\d)\.(\d)\.bn(\d)\./, (_, s, b, i) => `resnet.encoder.stages.${s - 1}.layers.${b}.layer.${i - 1}.normalization.`)
      .replace(/^fc\./, 'classifier.1.');
    hf.set(n, t);
  }
  assert.ok(hf.has('resnet.encoder.stages.1.layers.0.shortcut.convolution.weight'));
  const map = models.normaliseKeys([...hf.keys()]);
  assert.equal(map.style, 'huggingface');
  assert.deepEqual([...map.names.values()], [...sd.tensors.keys()]);
  // end to end: Hugging Face names in a plain safetensors file load at parity
  const dir = mkdtempSync(join(tmpdir(), 'hf-'));
  io.saveSafetensors(join(dir, 'model.safetensors'), hf);
  const w = models.loadWeights(join(dir, 'model.safetensors'));
  assert.deepEqual([w.name, w.source.style, w.source.format], ['resnet18', 'huggingface', 'safetensors']);
  parity(w.model, 'resnet18w4');
  w.model.dispose();
  rmSync(dir, { recursive: true, force: true });
  for (const t of sd.tensors.values()) t.dispose();
});

test('inferArchitecture: CIFAR ResNets, small_cnn (flattened and global-pool heads); unknown ResNets named', () => {
  const cases: [models.ModelName, Record<string, unknown>][] = [
    ['cifar_resnet20', { inChannels: 1, width: 16, numClasses: 5 }], ['cifar_resnet56', { inChannels: 3, width: 8, numClasses: 10 }],
    ['cifar_resnet18', { inChannels: 3, width: 4, numClasses: 3 }], ['resnet34', { inChannels: 3, width: 4, numClasses: 2 }],
    ['small_cnn', { inChannels: 1, channels: [4, 6], inputSize: 28, numClasses: 10 }],
    ['small_cnn', { inChannels: 3, channels: [4, 6], globalPool: true, numClasses: 4 }],
  ];
  for (const [name, config] of cases) {
    const m = models.createModel(name, config as never);
    const inf = models.inferArchitecture(new Map([...m.stateDict()].map(([k, t]) => [k, t.shape])));
    assert.equal(inf.name, name);
    assert.deepEqual(inf.config, config, name);
    m.dispose();
  }
  const r101 = new Map<string, number[]>([['conv1.weight', [64, 3, 7, 7]], ['bn1.weight', [64]], ['layer1.0.conv3.weight', [256, 64, 1, 1]]]);
  for (let s = 1; s <= 4; s++) for (let b = 0; b < [3, 4, 23, 3][s - 1]!; b++) r101.set(`layer${s}.${b}.conv1.weight`, [1]);
  assert.throws(() => models.inferArchitecture(r101, 'r101.pth'), /r101\.pth: a ResNet with bottleneck blocks \[3,4,23,3\].*not in the registry/);
  assert.throws(() => models.inferArchitecture(new Map([['encoder.weight', [3, 3]]]), 'vit.pth'), /vit\.pth: cannot infer the architecture/);
});

test('weights that do not fit are named with the file: missing, unexpected and mismatched keys; nothing loaded', () => {
  assert.throws(() => models.loadWeights(fx('pth_resnet18w4.pth'), { model: 'resnet34' }),
    (e: unknown) => e instanceof CheckpointError && /pth_resnet18w4\.pth: the weights do not fit resnet34/.test(String(e)) && /missing: .*layer1\.2\.conv1\.weight/.test(String(e)));
  assert.throws(() => models.loadWeights(fx('pth_resnet18w4.pth'), { model: 'resnet18', config: { width: 8 } }),
    (e: unknown) => e instanceof CheckpointError && /shape mismatch: conv1\.weight \(file \[4,3,7,7\], model \[8,3,7,7\]\)/.test(String(e)));
  assert.throws(() => models.loadWeights(fx('pth_resnet18w4.pth'), { model: 'cifar_resnet20' }),
    (e: unknown) => e instanceof CheckpointError && /unexpected: .*layer4\.0\.conv1\.weight/.test(String(e)));
  const loose = models.loadWeights(fx('pth_resnet18w4.pth'), { model: 'resnet34', strict: false });
  assert.ok(loose.report.missing.includes('layer1.2.conv1.weight'));
  assert.ok(loose.report.loaded > 100);
  loose.model.dispose();
});

test('numClasses replaces the head (new Linear, PyTorch init) and keeps the backbone', () => {
  const w = models.loadWeights(fx('pth_resnet18w4.pth'), { numClasses: 3 });
  assert.equal(w.report.headReplaced, true);
  assert.equal(w.report.sourceClasses, 10);
  assert.equal(w.model.numClasses, 3);
  const ref = models.loadWeights(fx('pth_resnet18w4.pth'));
  w.model.eval(); ref.model.eval();
  torch.tidy(() => assertClose(w.model.forwardFeatures(x, ['pool']).get('pool')!, ref.model.forwardFeatures(x, ['pool']).get('pool')!, { atol: 0, rtol: 0 }));
  w.model.dispose(); ref.model.dispose();
});

test('convertWeights: .pth -> safetensors + sidecar, loaded back by the sidecar loader at parity; no overwrite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'convert-'));
  const out = join(dir, 'r18.safetensors');
  const r = models.convertWeights(fx('pth_resnet18w4_ddp.pth'), { out, command: 'adaptune convert test' });
  assert.ok(existsSync(out) && existsSync(join(dir, 'r18.json')));
  const side = JSON.parse(readFileSync(r.sidecar, 'utf8'));
  assert.equal(side.format, 'adaptune-backbone/1');
  assert.deepEqual(side.model, { name: 'resnet18', config: { inChannels: 3, width: 4, numClasses: 10 } });
  assert.deepEqual(side.preprocessing.normalization.mean, [0.485, 0.456, 0.406]);
  assert.equal(side.conversion.prefix, 'module.');
  const b = loadBackbone(out);
  parity(b.model, 'resnet18w4');
  b.model.dispose();
  const again = models.loadWeights(out);
  assert.equal(again.source.architecture, 'sidecar');
  again.model.dispose();
  assert.throws(() => models.convertWeights(fx('pth_resnet18w4.pth'), { out }), /exists/);
  assert.throws(() => models.convertWeights(fx('pth_resnet18w4.pth'), { out: join(dir, 'x.bin') }), /must be a path ending in \.safetensors/);
  assert.throws(() => models.convertWeights(fx('pth_resnet18w4.pth'), { out: join(dir, 'bad.safetensors'), model: 'resnet50' }), /do not fit/);
  assert.equal(existsSync(join(dir, 'bad.safetensors')), false);
  rmSync(dir, { recursive: true, force: true });
});

test('a forbidden global in a .pth is refused by loadWeights too, naming it and the file', () => {
  assert.throws(() => models.loadWeights(fx('evil_os_system.pth')), /evil_os_system\.pth: forbidden global 'posix\.system'/);
});
