/** The synthetic routing task: the pre-trained net is right on A and wrong on B; the known routing solves it; one filter bank cannot. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../src/core/torch.js';
import { RoutingNet, routingSplit, runRouting } from '../../../src/methods/adafilter/routing.js';
import { tmp } from '../finetune-fixtures.js';

torch.setNumThreads(1);

test('routing task: labels are sign(p) on A and flipped on B; the pre-trained one-filter net is right on all of A and none of B', () => {
  const s = routingSplit(400, 3);
  const net = new RoutingNet();
  torch.tidy(() => torch.noGrad(() => {
    const p = s.x.select(1, 0).mean([1, 2]);
    const m = s.x.select(1, 1).mean([1, 2]);
    assert.equal(Number(m.lt(0).to('float32').sub(s.isB).abs().sum().item()), 0, 'channel 1 gives the population');
    const want = torch.where(s.isB.gt(0.5), p.lt(0), p.gt(0)).to('int64');
    assert.equal(Number(want.ne(s.y).sum().item()), 0);
    const ok = net.call(s.x).argmax(1).eq(s.y).to('float32');
    const isA = s.isB.rsub(1);
    assert.equal(Number(ok.mul(isA).sum().item()), Number(isA.sum().item()), 'S is right on A');
    assert.equal(Number(ok.mul(s.isB).sum().item()), 0, 'S is wrong on B');
  }));
  net.dispose(); torch.dispose([s.x, s.y, s.isB]);
});

test('routing task: with the known routing forced, F learns B (> 95 %); with every filter fine-tuned (one bank) it cannot pass 80 %', async () => {
  const oracle = await runRouting({ seed: 1, runDir: tmp('route-oracle'), steps: 150, route: 'oracle' });
  assert.ok(oracle.accuracy > 0.95 && oracle.agreement === 1 && oracle.ftA === 0 && oracle.ftB === 1, JSON.stringify(oracle));
  const one = await runRouting({ seed: 1, runDir: tmp('route-allft'), steps: 150, route: 'all-ft' });
  assert.ok(one.accuracy < 0.8 && one.ftA === 1 && one.ftB === 1 && one.ftDist > 0, JSON.stringify(one));
});
