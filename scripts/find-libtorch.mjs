#!/usr/bin/env node
// Locates libtorch for binding.gyp, the way tch-rs does: LIBTORCH=/path wins
// (an official distribution, CPU or CUDA, or the torch/ folder of a PyTorch
// install); otherwise the Debian/Ubuntu system install under /usr.
// Usage: node scripts/find-libtorch.mjs include|libdir|libs|check
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

function locate() {
  const root = process.env.LIBTORCH;
  if (root) {
    const inc = join(root, 'include');
    const lib = join(root, 'lib');
    if (!existsSync(join(inc, 'torch', 'csrc', 'api', 'include', 'torch', 'torch.h'))) {
      fail(`LIBTORCH=${root} does not look like a libtorch tree: ${inc}/torch/csrc/api/include/torch/torch.h is missing.`);
    }
    return { inc: [inc, join(inc, 'torch', 'csrc', 'api', 'include')], lib, system: false };
  }
  const sysInc = '/usr/include/torch/csrc/api/include';
  const multiarch = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib'];
  const lib = multiarch.find((d) => existsSync(join(d, 'libtorch_cpu.so')));
  if (existsSync(join(sysInc, 'torch', 'torch.h')) && lib) {
    return { inc: ['/usr/include', sysInc], lib, system: true };
  }
  fail('libtorch was not found. On Debian/Ubuntu: sudo apt-get install libtorch-dev libopenblas0-pthread ' +
    '(or run `bash scripts/bootstrap.sh`). Or set LIBTORCH=/path/to/libtorch (an official libtorch, CPU or CUDA).');
}

function fail(msg) {
  process.stderr.write(`adaptune: ${msg}\n`);
  process.exit(1);
}

const where = locate();
const what = process.argv[2] ?? 'check';
if (what === 'include') {
  process.stdout.write(where.inc.join(' '));
} else if (what === 'libdir') {
  process.stdout.write(where.lib);
} else if (what === 'libs') {
  // --no-as-needed keeps libtorch_cuda linked even though no symbol of it is used
  // directly; without it a CUDA build reports cuda unavailable (pytorch#36437).
  const files = new Set(readdirSync(where.lib));
  const cuda = ['torch_cuda', 'torch_cuda_cu', 'torch_cuda_cpp', 'c10_cuda'].filter((n) => files.has(`lib${n}.so`));
  const libs = ['-Wl,--no-as-needed', ...cuda.map((n) => `-l${n}`), '-ltorch', '-ltorch_cpu', '-lc10', '-Wl,--as-needed'];
  if (!where.system) libs.unshift(`-L${where.lib}`, `-Wl,-rpath,${where.lib}`);
  process.stdout.write(libs.join(' '));
} else {
  process.stdout.write(`include: ${where.inc.join(' ')}\nlib: ${where.lib}\n`);
}
