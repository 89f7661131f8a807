/**
 * Early freeing in inference (nn.Module.call with grad off and no hooks): a call's intermediates are freed
 * as it returns, its result and the state forward stores on the module survive, hooks turn it off, and a
 * result it cannot see into frees nothing. Also the channels_last memory format (contiguous / isContiguous).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nn, torch, TorchError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';

/** forward makes three intermediates and returns a fourth tensor. */
class Chain extends nn.Module {
  forward(x: Tensor): Tensor { return x.add(1).mul(2).sub(3).relu(); }
}

/** A recurrent-style module: forward stores its new state on `this` (as AdaFilter's gate does). */
class Stateful extends nn.Module {
  h: Tensor | null = null;
  nested: { hs: Tensor[] } = { hs: [] };
  forward(x: Tensor): Tensor {
    this.h = x.mul(3);
    this.nested.hs.push(x.mul(4));
    return x.add(this.h);
  }
}

class Box { constructor(readonly t: Tensor) {} }
/** Returns a class instance holding a tensor: the scope cannot see into it, so it must free nothing. */
class Boxed extends nn.Module<[Tensor], Box> {
  forward(x: Tensor): Box { return new Box(x.add(1).mul(2)); }
}

test('grad off: a module call keeps only its result (the three intermediates are freed at once)', () => {
  const m = new Chain();
  const x = torch.ones([4]);
  torch.tidy(() => {
    const n0 = torch.liveTensors();
    const y = torch.noGrad(() => m.call(x));
    assert.equal(torch.liveTensors(), n0 + 1, 'only the result is alive');
    assert.deepEqual([...y.data()], [1, 1, 1, 1]);
    const n1 = torch.liveTensors();
    const z = m.call(x); // grad on: everything stays until the tidy closes, as before
    assert.equal(torch.liveTensors(), n1 + 4);
    assert.deepEqual([...z.data()], [1, 1, 1, 1]);
  });
  x.dispose();
});

test('grad off: tensors forward stores on the module (fields, nested plain objects) survive the call', () => {
  const m = new Stateful();
  const x = torch.tidy(() => torch.ones([2]).mul(2));
  const n0 = torch.liveTensors();
  torch.tidy(() => {
    const y = torch.noGrad(() => m.call(x));
    assert.deepEqual([...m.h!.data()], [6, 6]);
    assert.deepEqual([...m.nested.hs[0]!.data()], [8, 8]);
    assert.deepEqual([...y.data()], [8, 8]);
    assert.equal(torch.liveTensors(), n0 + 3);
  });
  // as without early freeing, they belonged to the caller's tidy and are gone with it
  assert.equal(m.h!.isDisposed, true);
  assert.equal(torch.liveTensors(), n0);
  x.dispose();
});

test('grad off: a registered forward hook turns early freeing off (the hook may keep the tensors it sees)', () => {
  const seq = new nn.Sequential(new Chain(), new Chain());
  const x = torch.ones([3]);
  const seen: Tensor[] = [];
  const handle = (seq.children()[0] as Chain).registerForwardHook((_m, _i, out) => { seen.push(out); });
  torch.tidy(() => {
    const n0 = torch.liveTensors();
    torch.noGrad(() => seq.call(x));
    assert.equal(seen[0]!.isDisposed, false);
    assert.equal(torch.liveTensors(), n0 + 8, 'every intermediate alive until the tidy closes');
  });
  handle.remove();
  handle.remove(); // idempotent: the live-hook count must not go negative
  torch.tidy(() => {
    const n0 = torch.liveTensors();
    torch.noGrad(() => seq.call(x));
    assert.equal(torch.liveTensors(), n0 + 1, 'hook removed: only the Sequential\'s result is alive');
  });
  x.dispose();
});

test('grad off: a result holding a class instance frees nothing; a throwing forward loses nothing', () => {
  const m = new Boxed();
  const x = torch.ones([2]);
  torch.tidy(() => {
    const n0 = torch.liveTensors();
    const b = torch.noGrad(() => m.call(x));
    assert.equal(b.t.isDisposed, false);
    assert.deepEqual([...b.t.data()], [4, 4]);
    assert.equal(torch.liveTensors(), n0 + 2);
  });
  class Throws extends nn.Module { forward(v: Tensor): Tensor { v.add(1); throw new Error('boom'); } }
  const n0 = torch.liveTensors();
  torch.tidy(() => { assert.throws(() => torch.noGrad(() => new Throws().call(x)), /boom/); });
  assert.equal(torch.liveTensors(), n0, 'the outer tidy still frees what the failed call made');
  x.dispose();
});

test('grad off: ResNet-style inference gives the same logits with early freeing as with grad on', () => {
  torch.manualSeed(0);
  const net = new nn.Sequential(new nn.Conv2d(1, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4), new nn.ReLU(),
    new nn.Conv2d(4, 4, 3, { padding: 1 }), new nn.Flatten(), new nn.Linear(4 * 6 * 6, 3));
  net.eval();
  const x = torch.randn([2, 1, 6, 6]);
  const a = torch.noGrad(() => net.call(x));
  const b = net.call(x).detach();
  assert.ok(torch.equal(a, b));
  for (const t of [x, a, b]) t.dispose();
  net.dispose();
});

test('channels_last: contiguous(memoryFormat) and isContiguous(memoryFormat) as in PyTorch; a bad name is a TorchError', () => {
  const x = torch.arange(0, 24).reshape([1, 2, 3, 4]);
  const y = x.contiguous('channelsLast');
  assert.equal(x.isContiguous(), true);
  assert.equal(x.isContiguous('channelsLast'), false);
  assert.equal(y.isContiguous(), false);
  assert.equal(y.isContiguous('channelsLast'), true);
  assert.ok(torch.equal(x, y), 'same values, other strides');
  const z = y.contiguous();
  assert.equal(z.isContiguous(), true);
  assert.throws(() => x.contiguous('nhwc'), (e: unknown) => e instanceof TorchError && /memoryFormat must be 'contiguousFormat' or 'channelsLast', got 'nhwc'/.test((e as Error).message));
  assert.throws(() => x.isContiguous('nhwc' as 'channelsLast'), /memoryFormat must be/);
  for (const t of [x, y, z]) t.dispose();
});

test('module.to({ memoryFormat: "channelsLast" }): 4-D parameters (and their grads) get NHWC strides in place, values and training unchanged', () => {
  torch.manualSeed(1);
  const mk = (): nn.Sequential => new nn.Sequential(new nn.Conv2d(3, 8, 3, { padding: 1 }), new nn.BatchNorm2d(8), new nn.ReLU(),
    new nn.Conv2d(8, 4, 3, { padding: 1 }), new nn.Flatten(), new nn.Linear(4 * 5 * 5, 2));
  const a = mk();
  const b = mk();
  b.loadStateDict(a.stateDict());
  const x = torch.randn([2, 3, 5, 5]);
  const w = b.parameters()[0]!;
  const loss = (m: nn.Sequential): number => torch.tidy(() => { const l = m.call(x).square().mean(); l.backward(); return l.item() as number; });
  loss(b);
  b.to({ memoryFormat: 'channelsLast' });
  assert.equal(b.parameters()[0], w, 'the same parameter object');
  assert.equal(w.isContiguous('channelsLast'), true);
  assert.equal(w.isContiguous(), false);
  assert.equal(w.grad!.isContiguous('channelsLast'), true, 'its gradient too');
  assert.equal(b.parameters().at(-1)!.isContiguous(), true, '2-D weights untouched');
  b.zeroGrad();
  const la = loss(a), lb = loss(b);
  assert.ok(Math.abs(la - lb) <= 1e-5 * Math.abs(la), `${la} vs ${lb}`);
  const sd = b.stateDict() as Map<string, Tensor>;
  assert.ok(torch.equal(sd.get('0.weight')!, (a.stateDict() as Map<string, Tensor>).get('0.weight')!), 'state dict values unchanged');
  for (const m of [a, b]) m.dispose();
  x.dispose();
});

test('grad off: a module with private state frees it early unless it sets keepsForwardState, and the error says so', () => {
  class Private extends nn.Module {
    #h: Tensor | null = null;
    forward(x: Tensor): Tensor { const prev = this.#h; this.#h = x.mul(2); return prev ? prev.add(x) : x.add(0); }
  }
  const x = torch.ones([2]);
  const p = new Private();
  torch.tidy(() => {
    torch.noGrad(() => p.call(x));
    assert.throws(() => torch.noGrad(() => p.call(x)), /made during a no-grad call of Private and freed when that call returned.*keepsForwardState = true/);
  });
  const q = new Private();
  q.keepsForwardState = true;
  torch.tidy(() => {
    torch.noGrad(() => q.call(x));
    assert.deepEqual([...torch.noGrad(() => q.call(x)).data()], [3, 3]);
  });
  x.dispose();
});

test('grad off: Sequential frees child i\'s output once child i + 1 has used it, unless a child keeps it in a field', () => {
  class Count extends nn.Module {
    seen: number[] = [];
    forward(x: Tensor): Tensor { this.seen.push(torch.liveTensors()); return x.add(0); }
  }
  const c1 = new Count(), c2 = new Count();
  const seq = new nn.Sequential(new Chain(), c1, new Chain(), c2);
  const x = torch.ones([3]);
  torch.tidy(() => {
    const y = torch.noGrad(() => seq.call(x));
    assert.equal(c2.seen[0], c1.seen[0], 'no earlier output still alive when the second counter runs');
    assert.deepEqual([...y.data()], [1, 1, 1]);
    torch.noGrad(() => torch.enableGrad(() => seq.call(x)));
    assert.equal(c2.seen[1]! - c1.seen[1]!, 5, 'grad on: the first counter\'s copy and the second chain\'s four tensors stay');
  });
  class Keeper extends nn.Module {
    last: Tensor | null = null;
    forward(x: Tensor): Tensor { this.last = x; return x.mul(1); }
  }
  const k = new Keeper();
  const seq2 = new nn.Sequential(new Chain(), k, new Chain());
  torch.tidy(() => {
    torch.noGrad(() => seq2.call(x));
    assert.equal(k.last!.isDisposed, false, 'the input Keeper stored on itself stays alive until the caller\'s tidy closes');
  });
  const st = new Stateful();
  const seq3 = new nn.Sequential(new nn.Sequential(new Chain(), st), new Chain());
  torch.tidy(() => {
    torch.noGrad(() => seq3.call(x));
    assert.deepEqual([...st.h!.data()], [3, 3, 3], 'state a nested module stored survives its ancestors\' calls');
    assert.equal(st.nested.hs[0]!.isDisposed, false);
  });
  x.dispose();
});

test('grad off: a Sequential subclass that sets keepsForwardState keeps its children\'s outputs', () => {
  class Recording extends nn.Sequential {
    override keepsForwardState = true;
  }
  const seen: Tensor[] = [];
  class Spy extends nn.Module { forward(x: Tensor): Tensor { seen.push(x); return x.add(0); } }
  const seq = new Recording(new Chain(), new Spy(), new Chain());
  const x = torch.ones([2]);
  torch.tidy(() => {
    torch.noGrad(() => seq.call(x));
    assert.equal(seen[0]!.isDisposed, false, 'the first chain\'s output, which the container may keep, is alive');
  });
  x.dispose();
});
