import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, ConfigError, ShapeError, DTypeError } from '../../src/index.js';
import type { Tensor } from '../../src/index.js';
import { Rng, transforms as T } from '../../src/data/index.js';
import { assertClose } from '../helpers.js';

const base = torch.liveTensors();
const x1 = torch.keep(torch.rand([6, 1, 5, 5], { generator: new torch.Generator(1) }));
const x3 = torch.keep(torch.rand([4, 3, 6, 6], { generator: new torch.Generator(2) }));
const eq = (a: Tensor, b: Tensor): boolean => torch.equal(a, b);

test('horizontal flip: p=1 twice is the identity, p=0 is the identity, p=0.5 flips some examples whole', () => {
  torch.tidy(() => {
    const f = new T.RandomHorizontalFlip({ p: 1 });
    const r = new Rng(0);
    assert.ok(eq(f.apply(x1, r), x1.flip([3])));
    assert.ok(eq(f.apply(f.apply(x1, r), r), x1));
    assert.ok(eq(new T.RandomHorizontalFlip({ p: 0 }).apply(x3, r), x3));
    const big = torch.rand([64, 1, 3, 3]);
    const y = new T.RandomHorizontalFlip().apply(big, new Rng(3));
    let flipped = 0;
    for (let b = 0; b < 64; b++) {
      const yb = y.select(0, b); const xb = big.select(0, b);
      if (eq(yb, xb.flip([2]))) flipped++; else assert.ok(eq(yb, xb), `example ${b} neither kept nor flipped`);
    }
    assert.ok(flipped > 15 && flipped < 49, `flipped ${flipped} of 64`);
  });
});

test('random crop: padding 0 and full size is the identity; padded crops are windows of the padded image', () => {
  torch.tidy(() => {
    assert.ok(eq(new T.RandomCrop({ padding: 0 }).apply(x3, new Rng(1)), x3));
    const y = new T.RandomCrop({ padding: 1 }).apply(x1, new Rng(2));
    assert.deepEqual(y.shape, [6, 1, 5, 5]);
    const padded = torch.constantPadNd(x1, [1, 1, 1, 1], 0);
    const seen = new Set<string>();
    for (let b = 0; b < 6; b++) {
      let hit = '';
      for (let oy = 0; oy <= 2 && !hit; oy++) for (let ox = 0; ox <= 2 && !hit; ox++) {
        if (eq(y.select(0, b), padded.select(0, b).narrow(1, oy, 5).narrow(2, ox, 5))) hit = `${oy},${ox}`;
      }
      assert.ok(hit, `example ${b} is not a window`);
      seen.add(hit);
    }
    assert.ok(seen.size > 1, 'per-example offsets');
    const r = new T.RandomCrop({ size: 4, padding: 2, paddingMode: 'reflect' }).apply(x3, new Rng(2));
    assert.deepEqual(r.shape, [4, 3, 4, 4]);
    assert.throws(() => new T.RandomCrop({ padding: -1 }), (e: Error) => e instanceof ConfigError && /RandomCrop.padding must be an integer in \[0, 1024\], got -1/.test(e.message));
    assert.throws(() => new T.RandomCrop({ size: 9 }).apply(x1, new Rng(0)), /RandomCrop.size must be at most the padded size/);
  });
});

test('normalise then inverse is the identity; values are (x - mean) / std', () => {
  torch.tidy(() => {
    const n = new T.Normalize({ mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.5] });
    const y = n.apply(x3);
    assertClose(n.inverse(y), x3, { atol: 1e-6 });
    const v = (y.select(1, 2).select(0, 0).select(0, 0).select(0, 0).item() as number);
    const u = (x3.select(1, 2).select(0, 0).select(0, 0).select(0, 0).item() as number);
    assert.ok(Math.abs(v - (u - 0.3) / 0.5) < 1e-6);
    assert.throws(() => n.apply(x1), /Normalize.mean must be 1 or 1 values/);
    assert.throws(() => new T.Normalize({ mean: [0], std: [0] }), /Normalize.std must be an array of 1 numbers > 0/);
  });
});

test('rotation by 0 is the identity; by 180 is a flip of both axes', () => {
  torch.tidy(() => {
    assertClose(new T.RandomRotation({ degrees: 0 }).apply(x3, new Rng(0)), x3, { atol: 1e-5 });
    assertClose(T.rotate(x1, new Array(6).fill(180)), x1.flip([2, 3]), { atol: 1e-5 });
    const y = new T.RandomRotation({ degrees: 30 }).apply(x3, new Rng(1));
    assert.deepEqual(y.shape, x3.shape);
    assert.ok((y.min().item() as number) >= 0 && (y.max().item() as number) <= 1);
    assert.throws(() => new T.RandomRotation({ degrees: 200 }), /RandomRotation.degrees must be a number in \[0, 180\]/);
  });
});

test('colour jitter: zero strength is the identity; outputs stay in [0, 1]; brightness scales', () => {
  torch.tidy(() => {
    assert.ok(eq(new T.ColorJitter().apply(x3, new Rng(0)), x3));
    const y = new T.ColorJitter({ brightness: 0.5, contrast: 0.5, saturation: 0.5 }).apply(x3, new Rng(0));
    assert.ok((y.min().item() as number) >= 0 && (y.max().item() as number) <= 1);
    assert.ok(!eq(y, x3));
    const half = torch.full([2, 1, 2, 2], 0.5);
    const b = new T.ColorJitter({ brightness: 0.4 }).apply(half, new Rng(5));
    const s = b.amax([1, 2, 3]).sub(b.amin([1, 2, 3])).max().item() as number;
    assert.equal(s, 0, 'brightness is one factor per example');
    assert.throws(() => new T.ColorJitter({ contrast: 2 }), /ColorJitter.contrast must be a number in \[0, 1\]/);
  });
});

test('every RandAugment op at magnitude 0 is (close to) the identity; RandAugment is seeded and in range', () => {
  torch.tidy(() => {
    for (const op of T.AUG_OPS) {
      if (op.name === 'AutoContrast' || op.name === 'Solarize') continue;
      const y = op.fn(x3, new Array(4).fill(0));
      assertClose(y, x3, { atol: op.name === 'Posterize' ? 0.5 / 255 + 1e-6 : 1e-5, what: op.name });
    }
    for (const x of [x1, x3]) {
      const ra = new T.RandAugment({ n: 2, m: 15 });
      const a = ra.apply(x, new Rng(7));
      assert.ok(eq(a, ra.apply(x, new Rng(7))), 'same rng, same output');
      assert.ok(!eq(a, ra.apply(x, new Rng(8))));
      assert.deepEqual(a.shape, x.shape);
      assert.equal(a.dtype, 'float32');
      assert.ok((a.min().item() as number) >= 0 && (a.max().item() as number) <= 1 + 1e-6);
    }
    assert.equal(T.opPool(1).some((o) => o.name === 'Color'), false);
    assert.throws(() => new T.RandAugment({ ops: ['Equalize'] }), /RandAugment.ops must be a non-empty subset/);
    assert.throws(() => new T.RandAugment({ m: 31 }), /RandAugment.m must be a number in \[0, 30\]/);
  });
});

test('cutout blanks one clipped square per example; p=0 is the identity', () => {
  torch.tidy(() => {
    const ones = torch.ones([16, 1, 8, 8]);
    const y = new T.Cutout({ size: 4, fill: 0 }).apply(ones, new Rng(4));
    const zeros = y.eq(0).sum([1, 2, 3]).toArray() as number[];
    for (const z of zeros) assert.ok(z >= 4 && z <= 16 && [4, 6, 8, 9, 12, 16].includes(z), `zeros ${z}`);
    assert.ok(zeros.includes(16));
    assert.ok(eq(new T.Cutout({ size: 4, p: 0 }).apply(x3, new Rng(4)), x3));
  });
});

test('mixup: lambda=1 is the identity; lambda mixes with partners; soft targets', () => {
  torch.tidy(() => {
    const y = torch.tensor([0, 1, 2, 3]);
    const m = new T.MixUp({ lambda: 1 }).mix(x3, y, new Rng(0));
    assert.ok(eq(m.x, x3));
    assert.deepEqual(m.yA.toArray(), [0, 1, 2, 3]);
    const h = new T.MixUp({ lambda: 0.3 }).mix(x3, y, new Rng(1));
    const perm = torch.tensor(h.perm);
    assertClose(h.x, x3.mul(0.3).add(x3.indexSelect(0, perm).mul(0.7)), { atol: 1e-6 });
    assert.deepEqual(h.yB.toArray(), h.perm);
    const st = T.softTargets(h, 4);
    assertClose(st.sum(1), torch.ones([4]));
    const r = new T.MixUp({ alpha: 0.4 }).mix(x3, y, new Rng(2));
    assert.ok(r.lambda >= 0 && r.lambda <= 1);
    assert.throws(() => new T.MixUp({ alpha: 0 }), /MixUp.alpha must be a number/);
    assert.throws(() => new T.MixUp().mix(x3, torch.tensor([0, 1]), new Rng(0)), ShapeError);
  });
});

test('cutmix: the partner fills a box and lambda is the kept fraction', () => {
  torch.tidy(() => {
    const x = torch.arange(0, 4).to('float32').reshape([4, 1, 1, 1]).expand([4, 1, 8, 8]).contiguous().div(4);
    const m = new T.CutMix({ lambda: 0.75 }).mix(x, torch.tensor([0, 1, 2, 3]), new Rng(3));
    for (let b = 0; b < 4; b++) {
      if (m.perm[b] === b) continue;
      const kept = (m.x.select(0, b).eq(b / 4).sum().item() as number) / 64;
      assert.ok(Math.abs(kept - m.lambda) < 1e-9, `example ${b}: kept ${kept}, lambda ${m.lambda}`);
    }
    assert.ok(m.lambda >= 0.75 - 1e-9);
  });
});

test('AugMix, weak and strong views: shapes, range, seeded', () => {
  torch.tidy(() => {
    const am = new T.AugMix();
    const a = am.apply(x3, new Rng(1));
    assert.ok(eq(a, am.apply(x3, new Rng(1))));
    assert.ok((a.min().item() as number) >= 0 && (a.max().item() as number) <= 1 + 1e-6);
    const weak = T.weakView({ size: 5 });
    const strong = T.strongView({ size: 5 });
    const v = T.weakStrong(x1, weak, strong, new Rng(9));
    assert.deepEqual(v.weak.shape, x1.shape);
    assert.deepEqual(v.strong.shape, x1.shape);
    assert.ok(!eq(v.weak, v.strong));
    const w = T.weakStrong(x1, weak, strong, new Rng(9));
    assert.ok(eq(v.strong, w.strong) && eq(v.weak, w.weak));
    assert.deepEqual((strong.config().transforms as { name: string }[]).map((t) => t.name), ['Compose', 'RandAugment', 'Cutout']);
    assert.throws(() => new T.Compose([{} as T.Transform]), /Compose.transforms/);
  });
});

test('bad inputs are refused and nothing leaks', () => {
  torch.tidy(() => {
    assert.throws(() => new T.RandomHorizontalFlip().apply(torch.rand([2, 3]), new Rng(0)), ShapeError);
    assert.throws(() => new T.RandomHorizontalFlip().apply(torch.zeros([1, 1, 2, 2], { dtype: 'uint8' }), new Rng(0)), DTypeError);
  });
  x1.dispose(); x3.dispose();
  assert.equal(torch.liveTensors(), base);
});
