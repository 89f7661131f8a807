// A Preprocessing description travels in ONNX metadata: exportOnnx(model, x, { normalize, metadata }) with
// data.preprocessingMetadata(p) writes it, readOnnxMetadata + data.parsePreprocessing read the same description
// back; malformed descriptions are refused naming the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, data, models, ConfigError } from '../../src/index.js';
import { exportOnnx, readOnnxMetadata } from '../../src/export/index.js';

test('preprocessing recorded in ONNX metadata_props and read back unchanged', () => {
  const p = data.describePreprocessing({ imageSize: 32, channels: 3, normalization: { ...models.IMAGENET_NORMALIZATION, mean: [...models.IMAGENET_NORMALIZATION.mean], std: [...models.IMAGENET_NORMALIZATION.std] }, augment: 'trivialaugment', channelAdapt: 'gray-to-rgb' });
  const m = models.createModel('resnet18', { width: 4, numClasses: 3 });
  const x = torch.rand([1, 3, 32, 32]);
  const e = exportOnnx(m, x, { normalize: p.normalization, metadata: data.preprocessingMetadata(p) });
  const props = readOnnxMetadata(e.bytes);
  assert.deepEqual(data.parsePreprocessing(props[data.PREPROCESSING_KEY], 'model.onnx'), p);
  assert.deepEqual(JSON.parse(props.normalization!), p.normalization);
  m.dispose(); x.dispose();
});

test('parsePreprocessing refuses what describePreprocessing would, naming where', () => {
  assert.throws(() => data.parsePreprocessing('{', 'm.onnx'), (e: unknown) => e instanceof ConfigError && /m\.onnx: not valid JSON/.test(String(e)));
  assert.throws(() => data.parsePreprocessing({ format: 'x' }, 'side.json'), /side\.json: not an adaptune-preprocessing\/1 description/);
  const p = data.describePreprocessing();
  assert.throws(() => data.parsePreprocessing({ ...p, channels: 2 }, 'side.json'), /side\.json: preprocessing\.channels must be 1 or 3/);
});
