// evaluateClassifier in graph mode (the default) gives the eager accuracy and loss; hooks, untraceable forwards
// and graph: false run eagerly; a wrong input shape is the eager ShapeError; modes restored, nothing leaks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn, ShapeError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { createModel } from '../../src/models/index.js';
import { evaluateClassifier, type LabelledBatches } from '../../src/train/evaluate.js';

function batches(xs: Tensor[], ys: Tensor[]): LabelledBatches {
  return { numBatches: xs.length, batchAt: (_e, i) => ({ x: xs[i]!.clone(), y: ys[i]!.clone() }) };
}

test('graph-mode evaluation equals eager (accuracy exactly, loss to 1e-6), including a short last batch', () => {
  torch.manualSeed(11);
  const net = createModel('cifar_resnet20', { inChannels: 1, width: 8, numClasses: 5 });
  class Spy extends nn.Module {
    net = this.registerModule('net', net);
    tracing: boolean[] = [];
    forward(x: Tensor): Tensor { this.tracing.push(torch.jit.isTracing()); return this.net.call(x); }
  }
  const m = new Spy();
  const xs = [torch.randn([16, 1, 20, 20]), torch.randn([16, 1, 20, 20]), torch.randn([5, 1, 20, 20])];
  const ys = xs.map((x) => torch.randint(0, 5, [x.size(0)]));
  const src = batches(xs, ys);
  m.train();
  const before = torch.liveTensors();
  const g = evaluateClassifier(m, src);
  assert.deepEqual(m.tracing, [true, true], 'graph mode: one trace per batch shape (16 and 5), no eager forward');
  const e = evaluateClassifier(m, src, undefined, { graph: false });
  assert.deepEqual(m.tracing.slice(2), [false, false, false]);
  assert.equal(torch.liveTensors(), before, 'no tensors leak');
  assert.equal(m.training, true, 'training mode restored');
  assert.equal(g.n, 37);
  assert.equal(g.accuracy, e.accuracy);
  assert.ok(Math.abs(g.loss - e.loss) <= 1e-6 * Math.max(1, Math.abs(e.loss)), `loss ${g.loss} vs eager ${e.loss}`);
  torch.dispose(xs, ys);
  m.dispose();
});

test('hooks, untraceable forwards and graph: false evaluate eagerly (every batch runs the JS forward)', () => {
  torch.manualSeed(12);
  const m = createModel('small_cnn', { numClasses: 3 });
  const xs = [torch.randn([4, 1, 28, 28]), torch.randn([4, 1, 28, 28])];
  const ys = xs.map(() => torch.randint(0, 3, [4]));
  const src = batches(xs, ys);
  let calls = 0;
  const h = m.registerForwardHook(() => { calls++; });
  const eager = evaluateClassifier(m, src, undefined, { graph: false });
  assert.equal(calls, 2);
  const hooked = evaluateClassifier(m, src);
  assert.equal(calls, 4, 'a hooked model is not traced');
  assert.deepEqual(hooked, eager);
  h.remove();

  class Peeks extends nn.Module {
    net = this.registerModule('net', m);
    seen = 0;
    forward(x: Tensor): Tensor { this.seen += (x.mean().item() as number) > -1e9 ? 1 : 0; return this.net.call(x); }
  }
  const p = new Peeks();
  const r = evaluateClassifier(p, src);
  assert.deepEqual(r, eager, 'untraceable forward falls back to eager');
  assert.equal(p.seen, 2);
  assert.throws(() => evaluateClassifier(m, batches([torch.randn([4, 3, 28, 28])], [ys[0]!])), ShapeError);
  torch.dispose(xs, ys);
  m.dispose();
});
