/** The backbone loader: sidecar + sha256 verification, architecture from the sidecar, strict weights, the new head. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../src/core/torch.js';
import { createModel } from '../../src/models/index.js';
import { BackboneError, bundledBackbonePath, loadPretrained, bundledBackbone, sha256File, sidecarPath, writeWeights } from '../../src/models/index.js';
import { needs } from '../require.js';

const INFO = { task: { name: 'fmnist:source' }, training: {}, sourceTestAccuracy: 0.5, command: 'adaptune pretrain (test)', elapsedSec: 1 };

/** A tiny cifar_resnet20 (width 4, 3 classes) written with its sidecar to a temp dir. */
function saved(): { dir: string; file: string; model: ReturnType<typeof createModel<'cifar_resnet20'>> } {
  const dir = mkdtempSync(join(tmpdir(), 'adaptune-bb-'));
  const file = join(dir, 'w.safetensors');
  torch.manualSeed(3);
  const model = createModel('cifar_resnet20', { width: 4, inChannels: 1, numClasses: 3 });
  writeWeights(model, file, { ...INFO, model: { name: 'cifar_resnet20', config: { width: 4, inChannels: 1, numClasses: 3 } } });
  return { dir, file, model };
}

test('loads the weights bit-exactly and replaces the head for the target class count', () => {
  const { dir, file, model } = saved();
  const side = JSON.parse(readFileSync(sidecarPath(file), 'utf8')) as { sha256: string; weights: string };
  assert.equal(side.sha256, sha256File(file));
  assert.equal(side.weights, 'w.safetensors');
  const { model: m2, sidecar } = loadPretrained(file, { numClasses: 7 });
  assert.equal(sidecar.sha256, side.sha256);
  assert.equal(m2.numClasses, 7);
  assert.deepEqual(m2.getClassifier().parameters()[0]!.shape, [7, m2.featureDim]);
  const a = model.stateDict();
  for (const [k, t] of m2.stateDict()) {
    if (k.startsWith('fc.')) continue;
    assert.ok(torch.tidy(() => t.equal(a.get(k)!)), `${k} differs after loading`);
  }
  const kept = loadPretrained(file);
  assert.equal(kept.model.numClasses, 3, 'without numClasses the source head is kept');
  torch.tidy(() => {
    const x = torch.rand([2, 1, 28, 28]);
    model.eval(); kept.model.eval();
    assert.ok(model.call(x).allclose(kept.model.call(x)), 'same outputs with the kept head');
  });
  model.dispose(); m2.dispose(); kept.model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('a checksum mismatch is a clear error naming the file; a missing sidecar or file too', () => {
  const { dir, file, model } = saved();
  model.dispose();
  const bytes = readFileSync(file);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(file, bytes);
  assert.throws(() => loadPretrained(file, { numClasses: 2 }), (e: unknown) => e instanceof BackboneError && (e as Error).message.includes(`checksum mismatch for ${file}`));
  rmSync(sidecarPath(file));
  assert.throws(() => loadPretrained(file), (e: unknown) => e instanceof BackboneError && (e as Error).message.includes(`${file}: cannot read its sidecar`));
  assert.throws(() => loadPretrained(join(dir, 'nope.safetensors')), /nope\.safetensors does not exist/);
  rmSync(dir, { recursive: true, force: true });
});

test('the bundled backbone verifies and loads with a 5-way head', { skip: needs(`the bundled backbone ${bundledBackbonePath()}`, existsSync(bundledBackbonePath())) }, () => {
  const { model, sidecar } = bundledBackbone(5);
  assert.equal(sidecar.model.name, 'cifar_resnet20');
  assert.equal(model.numClasses, 5);
  assert.equal(model.featureDim, 64);
  assert.ok(typeof sidecar.sourceTestAccuracy === 'number' && sidecar.sourceTestAccuracy > 0.85, `source accuracy ${sidecar.sourceTestAccuracy}`);
  model.dispose();
});
