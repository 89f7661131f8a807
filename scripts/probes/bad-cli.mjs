#!/usr/bin/env node
// Bad-CLI corpus (reliability probe, F12/F13): careless and hostile command lines. Each must end with exit 2
// (a user error) or 1 (a runtime failure), print ONE line on stderr that starts with 'adaptune:', and show
// no JS stack (ADAPTUNE_DEBUG=1 is the way to see one). A case that exits 0 or crashes, or prints a stack, fails.
// Usage: node scripts/probes/bad-cli.mjs [filter]
// Prints: bad-cli tried=N clean=N failed=N, and each failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const t = mkdtempSync(join(tmpdir(), 'bad-cli-'));
const out = (n) => join(t, `out-${n}`);
mkdirSync(join(t, 'dir.safetensors'));
writeFileSync(join(t, 'empty.safetensors'), '');
writeFileSync(join(t, 'text.safetensors'), 'hello, not weights');
writeFileSync(join(t, 'cfg-proto.json'), '{"__proto__": {"polluted": 1}}');
writeFileSync(join(t, 'cfg-bad.json'), '{"epochs": ');
writeFileSync(join(t, 'cfg-array.json'), '[1, 2]');
writeFileSync(join(t, 'a-file'), 'x');

const CASES = [
  ['nosuchcommand'], ['--nosuchflag'], ['finetune', '--nosuchflag'], ['finetune', '--lr'], ['finetune', '--lr', 'abc'],
  ['finetune', '--lr', '0', '--out', out(1)], ['finetune', '--epochs', '0', '--out', out(2)], ['finetune', '--epochs', '1.5', '--out', out(3)],
  ['finetune', '--batch-size', '-4', '--out', out(4)], ['finetune', '--data', 'nosuch', '--out', out(5)],
  ['finetune', '--labels-per-class', '7', '--out', out(6)], ['finetune', '--weights', join(t, 'absent.safetensors'), '--out', out(7)],
  ['finetune', '--weights', join(t, 'dir.safetensors'), '--out', out(8)], ['finetune', '--weights', join(t, 'empty.safetensors'), '--out', out(9)],
  ['finetune', '--weights', join(t, 'text.safetensors'), '--out', out(10)], ['finetune', '--set', '__proto__.polluted=1', '--out', out(11)],
  ['finetune', '--set', 'constructor.prototype.x=1', '--out', out(12)], ['finetune', '--set', 'optim=5', '--out', out(13)],
  ['finetune', '--set', 'optim.lr=abc', '--out', out(14)], ['finetune', '--set', 'nosuch.field=1', '--out', out(15)],
  ['finetune', '--set', 'noequals', '--out', out(16)], ['finetune', '--set', '=1', '--out', out(17)],
  ['finetune', '--config', join(t, 'cfg-proto.json'), '--out', out(18)], ['finetune', '--config', join(t, 'cfg-bad.json'), '--out', out(19)],
  ['finetune', '--config', join(t, 'cfg-array.json'), '--out', out(20)], ['finetune', '--config', join(t, 'absent.json'), '--out', out(21)],
  ['finetune', '--lr', '0.001', '--set', 'optim.name=adamw', '--out', out(22)], ['finetune', '--strategy', 'bogus', '--out', out(23)],
  ['finetune', '--strategy', 'partial', '--out', out(24)], ['finetune', '--resume', join(t, 'no-run')], ['finetune', '--resume', join(t, 'a-file')],
  ['semisup', '--nosuch'], ['semisup', '--resume', join(t, 'no-run')], ['adversarial', '--eps', '-1', '--out', out(25)],
  ['anomaly', '--data', 'mvtec', '--out', out(26)], ['anomaly', '--data', 'mvtec', '--root', join(t, 'nope'), '--category', 'bottle', '--out', out(27)],
  ['report'], ['report', join(t, 'no-run')], ['report', join(t, 'a-file')], ['export'], ['export', '--weights', join(t, 'text.safetensors'), '--out', join(t, 'm.onnx')],
  ['predict'], ['predict', join(t, 'absent.onnx'), join(t, 'x.png')], ['predict', join(t, 'a-file'), join(t, 'x.png')],
  ['pretrain', '--width', '0', '--out', out(28)], ['help', 'nosuch'], ['version', '--bogus'],
  ['bench', '--nosuch'], ['hparams', '--nosuch'], ['robustness', '--weights', join(t, 'absent.safetensors')],
  ['similarity', '--weights', join(t, 'absent.safetensors')], ['quickstart', '--nosuch'],
];

const filter = process.argv[2];
let tried = 0, clean = 0;
const failures = [];
for (const argv of CASES) {
  if (filter && !argv.join(' ').includes(filter)) continue;
  tried++;
  const r = spawnSync(process.execPath, [cli, ...argv], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ADAPTUNE_NUM_THREADS: '1', ADAPTUNE_DEBUG: '' } });
  const lines = (r.stderr ?? '').split('\n').filter((l) => l.trim() && !/^W\d{8}|^WARNING: Logging|^note: /.test(l));
  const why = r.signal ? `killed by ${r.signal}` : r.status === 0 ? 'exit 0 (accepted)' : ![1, 2].includes(r.status) ? `exit ${r.status}`
    : lines.some((l) => /^\s+at /.test(l)) ? 'printed a JS stack' : lines.length !== 1 ? `${lines.length} lines on stderr`
      : !lines[0].startsWith('adaptune: ') ? 'message without the adaptune: prefix' : null;
  if (why) failures.push(`${argv.join(' ')} -> ${why}: ${lines.slice(0, 2).join(' | ').slice(0, 200)}`);
  else clean++;
}
for (const f of failures) console.log(`FAIL ${f}`);
console.log(`bad-cli tried=${tried} clean=${clean} failed=${tried - clean}`);
process.exitCode = tried === clean ? 0 : 1;
