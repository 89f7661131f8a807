/**
 * Errors are typed and never crash the process: TorchError (with .op) for what
 * libtorch refuses, TypeError for wrong JS argument types, DisposedError after
 * dispose(); messages name the op, the argument and the shapes. The last test calls
 * every exported native function with garbage in a child process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { torch, TorchError, DisposedError } from '../../src/index.js';
import { ROOT } from '../helpers.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
const T = torch as any;
function throwsTorch(f: () => unknown, op: string, re: RegExp): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof TorchError, `expected a TorchError, got ${String(e)}`);
    assert.equal(e.op, op);
    assert.match(e.message, re);
    return true;
  });
}

test('wrong shapes: TorchError naming the op and the shapes', () => {
  torch.tidy(() => {
    const a = torch.ones([2, 3]);
    throwsTorch(() => torch.matmul(a, torch.ones([2, 3])), 'matmul', /^matmul: .*2x3 and 2x3.*self=Tensor Float\[2,3\], other=Tensor Float\[2,3\]/);
    throwsTorch(() => torch.add(a, torch.ones([4])), 'add', /size of tensor a \(3\) must match .* \(4\)/);
    throwsTorch(() => a.view([4]), 'view', /shape '\[4\]' is invalid for input of size 6.*shape=\[4\]/);
    throwsTorch(() => torch.cat([a, torch.ones([3, 2])], 0), 'cat', /Sizes of tensors must match/);
    throwsTorch(() => a.indexSelect(0, torch.tensor([5])), 'indexSelect', /out of range|index/i);
    throwsTorch(() => torch.cholesky(torch.zeros([2, 3], { dtype: 'float64' })), 'cholesky', /square/i);
    throwsTorch(() => a.sum(5), 'sum', /Dimension out of range/);
    throwsTorch(() => a.item(), 'item', /one element|more than one|a Tensor with 6 elements/);
  });
});

test('wrong dtypes: TorchError naming the op and dtypes', () => {
  torch.tidy(() => {
    const f = torch.ones([2, 2]);
    throwsTorch(() => torch.matmul(f, torch.ones([2, 2], { dtype: 'int64' })), 'matmul', /Float.*Long|Long.*Float|dtype/);
    throwsTorch(() => torch.bitwiseAnd(f, f), 'bitwiseAnd', /not implemented for 'Float'/);
    throwsTorch(() => torch.inverse(torch.ones([2, 2], { dtype: 'int32' })), 'inverse', /Int/);
    // A float index (libtorch 2.x also accepts int32 indices, so that is no error there).
    throwsTorch(() => f.gather(0, torch.zeros([2, 2])), 'gather', /int64|Long|index/);
    throwsTorch(() => torch.where(f, f, f), 'where', /condition.*(bool|Bool)/);
    assert.throws(() => torch.zeros([2], { dtype: 'float8' as never }), (e: Error) => e.name === 'DTypeError' && /float8/.test(e.message));
  });
});

test('cuda on this CPU-only build: TorchError, not a crash', { skip: torch.cuda.isAvailable() ? 'CUDA is available here' : false }, () => {
  throwsTorch(() => torch.zeros([2], { device: 'cuda' }), 'zeros', /CUDA/);
  throwsTorch(() => torch.ones([2]).cuda(), 'toOpts', /CUDA|cuda/);
  throwsTorch(() => torch.randn([2], { device: 'cuda:0' }), 'randn', /CUDA/);
  assert.throws(() => torch.zeros([2], { device: 'tpu:x' }), (e: Error) => e instanceof TorchError && /tpu:x/.test(e.message));
});

test('disposed tensors: DisposedError naming the op and argument', () => {
  const x = torch.ones([2]);
  x.dispose();
  assert.throws(() => torch.add(torch.ones([2]), x), (e: Error) => e instanceof DisposedError && /^add: argument 'other'/.test(e.message));
  assert.throws(() => x.exp(), (e: Error) => e instanceof DisposedError && /^exp: argument 'self'/.test(e.message));
  assert.throws(() => x.shape, DisposedError);
  assert.throws(() => x.toArray(), DisposedError);
  assert.throws(() => torch.cat([x]), DisposedError);
});

test('wrong JS argument types: TypeError naming the op or argument', () => {
  torch.tidy(() => {
    const a = torch.ones([2, 2]);
    const te = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => e instanceof TypeError && re.test(e.message));
    te(() => torch.matmul(a, null as never), /^matmul: argument 'other': expected a Tensor, got null/);
    te(() => torch.add(a, 'x' as never), /^add: argument 'other': expected a Tensor, got string x/);
    te(() => torch.sum(a, 'x' as never), /argument 'dim' .*expected an array of integers/);
    te(() => a.reshape([1.5, 2]), /argument 'shape' .*integers/);
    te(() => torch.cat(a as never), /^cat: argument 'tensors': expected an array of Tensors/);
    te(() => torch.cat([a, 3 as never]), /^cat: argument 'tensors': expected a Tensor, got number 3/);
    te(() => a.transpose('0' as never, 1), /argument 'dim0' .*expected an integer, got '0'/);
    te(() => T.topk(a, 1, 0, 'yes'), /argument 'largest' .*expected a boolean/);
    te(() => torch.crossEntropy(a, torch.tensor([0, 1]), null, 'avg' as never), /'none', 'mean' or 'sum'/);
  });
});

test('robustness: every native function survives garbage arguments (child process)', (t) => {
  const script = `
    const { createRequire } = require('node:module');
    const binding = require(${JSON.stringify(join(ROOT, 'build', 'Release', 'adaptune.node'))});
    class TorchError extends Error { constructor(m, op) { super(m); this.op = op; } }
    binding.setTorchErrorClass(TorchError);
    const t = binding.ones([2, 3], null, null);
    const ti = binding.ones([2], 4, null);
    const dead = binding.ones([1], null, null); binding.dispose(dead);
    const gen = binding.generatorNew(1);
    // Always invalid (the call must throw an Error unless the function takes no arguments) ...
    const INVALID = [[], [null], [undefined, undefined], ['x', 'y', 'z'], [{}, [], -1], [dead, dead],
      [[dead], dead, true], [1e300, -1e300], [NaN, NaN], [gen, 'x'], [Symbol('s')], [() => 1]];
    // ... and plausible-but-wrong (the call may succeed; it must not crash, and a throw must be an Error).
    const MIXED = [[t, 'x', null, {}], [ti, ti, ti, ti], [t, [t, 'x'], NaN, Infinity], [t, t, -1, [dead]], [ti, 1e300]];
    const SAFE_NO_ARGS = new Set(['liveTensors', 'liveBytes', 'isGradEnabled', 'enterInferenceMode', 'exitInferenceMode',
      'isInferenceMode', 'getNumThreads', 'cpuCacheEmpty', 'cpuCacheStats', 'cudaIsAvailable', 'cudaDeviceCount', 'cudaSynchronize', 'libtorchVersion',
      'configShow', 'getRngState', 'dispose', 'generatorNew', 'distAvailable', 'distDestroy', 'distRank', 'distWorldSize', 'isTracing', 'jitDispose']);
    const SKIP = new Set(['setTorchErrorClass']); // replaces the error class this check relies on
    let calls = 0, threw = 0, bad = [];
    for (const name of Object.keys(binding).sort()) {
      if (SKIP.has(name)) continue;
      for (const [args, mustThrow] of [...INVALID.map((a) => [a, true]), ...MIXED.map((a) => [a, false])]) {
        calls++;
        try {
          binding[name](...args);
          if (mustThrow && !SAFE_NO_ARGS.has(name)) bad.push(name + '(' + args.map(String).join(', ') + ') returned');
        } catch (e) { if (e instanceof Error) threw++; else bad.push(name + ' threw a non-Error'); }
      }
    }
    while (binding.isInferenceMode()) binding.exitInferenceMode();
    console.log(JSON.stringify({ functions: Object.keys(binding).length, calls, threw, bad }));
  `;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, `child died of ${r.signal}; stderr: ${r.stderr.slice(-2000)}`);
  assert.equal(r.status, 0, `child exited ${r.status}; stderr: ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  t.diagnostic(`${out.functions} native functions, ${out.calls} calls, ${out.threw} threw`);
  assert.ok(out.functions > 300, `only ${out.functions} native functions found`);
  assert.deepEqual(out.bad, [], `calls that did not throw an Error: ${out.bad.join('; ')}`);
  assert.ok(out.threw > out.calls * 0.6, `${out.threw} of ${out.calls} calls threw`);
});
